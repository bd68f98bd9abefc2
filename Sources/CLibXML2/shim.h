#ifndef RAG_CLIBXML2_SHIM_H
#define RAG_CLIBXML2_SHIM_H

// Debian's libxml2 is built with ICU and its headers pull in the system ICU, whose
// types clash with the ICU bundled in Foundation. Nothing here needs ICU types.
#include <libxml/xmlversion.h>
#undef LIBXML_ICU_ENABLED

#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/HTMLparser.h>
#include <libxml/SAX2.h>
#include <libxml/encoding.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlIO.h>

// The generic error handler is variadic (Swift cannot implement it) and thread-local:
// install a silent one on each thread that parses. The parser options NOERROR and
// NOWARNING do not silence encoding-conversion messages, this does.
static void rag_xml_silent_generic(void *ctx, const char *msg, ...) {
    (void)ctx; (void)msg;
}
static void rag_xml_silent_structured(void *ctx, xmlErrorPtr error) {
    (void)ctx; (void)error;
}
static inline void rag_xml_silence_errors(void) {
    xmlSetGenericErrorFunc(NULL, rag_xml_silent_generic);
    xmlSetStructuredErrorFunc(NULL, rag_xml_silent_structured);
}

// libxml2 allocates through mimalloc when the system has it: parsing makes many small,
// short-lived allocations. Loaded with RTLD_LOCAL, so only libxml2's allocations move;
// linked, mimalloc would replace malloc for the whole process. Must run before any other
// libxml2 call. Returns 0 when libxml2 uses mimalloc.
#include <dlfcn.h>
static inline int rag_xml_use_mimalloc(void) {
    void *lib = dlopen("libmimalloc.so.2", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL) return -1;
    xmlFreeFunc release = (xmlFreeFunc)dlsym(lib, "mi_free");
    xmlMallocFunc allocate = (xmlMallocFunc)dlsym(lib, "mi_malloc");
    xmlReallocFunc reallocate = (xmlReallocFunc)dlsym(lib, "mi_realloc");
    xmlStrdupFunc duplicate = (xmlStrdupFunc)dlsym(lib, "mi_strdup");
    if (release == NULL || allocate == NULL || reallocate == NULL || duplicate == NULL) return -1;
    return xmlMemSetup(release, allocate, reallocate, duplicate);
}

// External entities and DTDs are never fetched, whatever a document asks for.
static xmlParserInputPtr rag_xml_refuse_loader(const char *url, const char *id, xmlParserCtxtPtr ctxt) {
    (void)url; (void)id; (void)ctxt;
    return NULL;
}
static inline void rag_xml_install_refusing_loader(void) {
    xmlSetExternalEntityLoader(rag_xml_refuse_loader);
}

#endif
