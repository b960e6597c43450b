#ifndef LAMPLIGHTER_CLIBPQ_SHIM_H
#define LAMPLIGHTER_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#endif
