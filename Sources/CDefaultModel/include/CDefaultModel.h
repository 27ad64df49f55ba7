#ifndef ARGUS_DEFAULT_MODEL_H
#define ARGUS_DEFAULT_MODEL_H
#include <stddef.h>

/// The bytes of models/yolox_nano.onnx, assembled into the binary, so `argus serve` and `argus detect` work with
/// no model file beside them.
const unsigned char *argus_default_model_bytes(void);
size_t argus_default_model_size(void);

#endif
