#ifndef LAMPLIGHTER_CHIREDIS_SHIM_H
#define LAMPLIGHTER_CHIREDIS_SHIM_H
#include <hiredis/hiredis.h>
#endif
