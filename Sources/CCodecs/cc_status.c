#include <stdlib.h>
#include <string.h>
#include "cc_status.h"

static void cc_copy_message(char *dst, const char *src) {
    if (src == NULL) src = "";
    strncpy(dst, src, CC_MESSAGE_MAX - 1);
    dst[CC_MESSAGE_MAX - 1] = '\0';
}

void cc_status_reset(cc_status *status) {
    status->code = CC_OK;
    status->warning_count = 0;
    status->defect = CC_DEFECT_NONE;
    status->message[0] = '\0';
    status->first_warning[0] = '\0';
    status->defect_message[0] = '\0';
}

int cc_fail(cc_status *status, int code, const char *message) {
    // Keep the first fatal message: later cleanup errors must not hide the cause.
    if (status->code == CC_OK) {
        status->code = code;
        cc_copy_message(status->message, message);
    }
    return status->code;
}

void cc_warn(cc_status *status, const char *message) {
    if (status->warning_count == 0) cc_copy_message(status->first_warning, message);
    status->warning_count += 1;
}

void cc_defect_note(cc_status *status, int defect, const char *message) {
    if (defect <= status->defect) return;
    status->defect = defect;
    cc_copy_message(status->defect_message, message);
}

void cc_free(void *pointer) { free(pointer); }
