#ifndef RAG_CZSTD_SHIM_H
#define RAG_CZSTD_SHIM_H
#include <zstd.h>
#endif
