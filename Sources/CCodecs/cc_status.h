// Internal helpers shared by the codec wrappers (not part of the public header).
#ifndef ARGUS_CC_STATUS_H
#define ARGUS_CC_STATUS_H

#include "CCodecs.h"

/// Clears a status before a call.
void cc_status_reset(cc_status *status);

/// Records a fatal outcome; returns `code` so callers can `return cc_fail(...)`.
int cc_fail(cc_status *status, int code, const char *message);

/// Records a non-fatal warning (only the first message is kept).
void cc_warn(cc_status *status, const char *message);

/// Records a defect of the image data (the worst kind wins; its first message is kept).
void cc_defect_note(cc_status *status, int defect, const char *message);

#endif
