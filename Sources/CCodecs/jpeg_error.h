// libjpeg error manager that longjmps back to the caller (libjpeg's default calls exit()).
#ifndef ARGUS_JPEG_ERROR_H
#define ARGUS_JPEG_ERROR_H

#include <setjmp.h>
#include <stdio.h>
#include <jpeglib.h>
#include "cc_status.h"

/// Progressive files with more scans than this are refused: each scan re-walks the whole
/// coefficient buffer, so a crafted file with thousands of tiny scans is a CPU bomb.
#define CC_JPEG_MAX_SCANS 500

typedef struct cc_jpeg_error {
    struct jpeg_error_mgr pub;  // must be first: libjpeg casts cinfo->err to this
    jmp_buf jump;
    cc_status *status;
} cc_jpeg_error;

/// Installs the error manager: fatal errors record a message in `status` and longjmp to
/// `err->jump`; warnings are counted in `status` instead of being printed to stderr.
struct jpeg_error_mgr *cc_jpeg_error_init(cc_jpeg_error *err, cc_status *status);

/// Progress monitor that aborts (through error_exit) once too many scans were read.
void cc_jpeg_progress_monitor(j_common_ptr cinfo);

#endif
