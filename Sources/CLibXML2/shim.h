#ifndef LAMPLIGHTER_CLIBXML2_SHIM_H
#define LAMPLIGHTER_CLIBXML2_SHIM_H
/* Debian's libxml2 is built with ICU, whose headers clash with the ICU that Foundation ships.
   Read the version header first, then switch ICU off before the rest of libxml2 is seen. */
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>

/* xmlFree is a global function pointer, which Swift cannot call: wrap it. */
static inline void lamplighter_xmlFree(void *pointer) { xmlFree(pointer); }
#endif
