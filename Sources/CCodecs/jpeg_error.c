#include <string.h>
#include <jerror.h>
#include "jpeg_error.h"

static void cc_jpeg_error_exit(j_common_ptr cinfo) {
    cc_jpeg_error *err = (cc_jpeg_error *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    int code = CC_CORRUPT;
    switch (cinfo->err->msg_code) {
    case JERR_CONVERSION_NOTIMPL:
    case JERR_BAD_J_COLORSPACE:
        code = CC_UNSUPPORTED_COLOR;
        break;
    case JERR_OUT_OF_MEMORY:
        code = CC_NO_MEMORY;
        break;
    default:
        break;
    }
    cc_fail(err->status, code, buffer);
    longjmp(err->jump, 1);
}

// What a warning says about the pixels: the data ended early (the memory source then feeds a fake EOI), or the
// entropy-coded data is damaged (libjpeg resynchronises and fills blocks). The others (an unknown JFIF revision or
// Adobe transform, a bad ICC marker, garbage between markers, a progressive scan that repeats or skips a step) decode
// every block from the data as it stands.
static int cc_jpeg_defect(int msg_code) {
    switch (msg_code) {
    case JWRN_JPEG_EOF:
        return CC_DEFECT_TRUNCATED;
    case JWRN_HIT_MARKER:
    case JWRN_HUFF_BAD_CODE:
    case JWRN_MUST_RESYNC:
    case JWRN_NOT_SEQUENTIAL:
        return CC_DEFECT_CORRUPT;
    default:
        return CC_DEFECT_NONE;
    }
}

static void cc_jpeg_emit_message(j_common_ptr cinfo, int msg_level) {
    if (msg_level >= 0) return;  // trace output: ignore
    cc_jpeg_error *err = (cc_jpeg_error *)cinfo->err;
    char buffer[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, buffer);
    cc_warn(err->status, buffer);
    cc_defect_note(err->status, cc_jpeg_defect(cinfo->err->msg_code), buffer);
    cinfo->err->num_warnings++;
}

static void cc_jpeg_output_message(j_common_ptr cinfo) { (void)cinfo; }

struct jpeg_error_mgr *cc_jpeg_error_init(cc_jpeg_error *err, cc_status *status) {
    memset(err, 0, sizeof(*err));
    jpeg_std_error(&err->pub);
    err->pub.error_exit = cc_jpeg_error_exit;
    err->pub.emit_message = cc_jpeg_emit_message;
    err->pub.output_message = cc_jpeg_output_message;
    err->status = status;
    return &err->pub;
}

void cc_jpeg_progress_monitor(j_common_ptr cinfo) {
    if (!cinfo->is_decompressor) return;
    j_decompress_ptr dinfo = (j_decompress_ptr)cinfo;
    if (dinfo->input_scan_number > CC_JPEG_MAX_SCANS) {
        cc_jpeg_error *err = (cc_jpeg_error *)cinfo->err;
        cc_fail(err->status, CC_CORRUPT, "JPEG has too many progressive scans");
        longjmp(err->jump, 1);
    }
}
