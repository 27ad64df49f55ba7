// models/yolox_nano.onnx as read-only data (.incbin). ARGUS_DEFAULT_MODEL_PATH is the file's absolute path, set in
// Package.swift. The build does not track the .onnx itself: after replacing it, touch this file.
#include "CDefaultModel.h"

#define ARGUS_STR2(x) #x
#define ARGUS_STR(x) ARGUS_STR2(x)

#if defined(__APPLE__)
#define ARGUS_RODATA ".const_data"
#define ARGUS_SYM(name) "_" #name
#else
#define ARGUS_RODATA ".section .rodata"
#define ARGUS_SYM(name) #name
#endif

__asm__(ARGUS_RODATA "\n"
        ".balign 64\n"
        ARGUS_SYM(argus_default_model_start) ":\n"
        ".incbin \"" ARGUS_STR(ARGUS_DEFAULT_MODEL_PATH) "\"\n"
        ARGUS_SYM(argus_default_model_end) ":\n"
        ".previous\n");

extern const unsigned char argus_default_model_start[], argus_default_model_end[];

const unsigned char *argus_default_model_bytes(void) { return argus_default_model_start; }

size_t argus_default_model_size(void) { return (size_t)(argus_default_model_end - argus_default_model_start); }
