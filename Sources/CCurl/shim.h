// libcurl for Swift: curl_easy_setopt/getinfo are variadic, which Swift cannot call, so each argument
// type gets a typed inline wrapper.
#define CURL_DISABLE_TYPECHECK 1
#include <curl/curl.h>

typedef size_t (*argus_curl_write_fn)(char *data, size_t size, size_t count, void *context);
typedef int (*argus_curl_progress_fn)(void *context, curl_off_t dltotal, curl_off_t dlnow,
                                      curl_off_t ultotal, curl_off_t ulnow);

static inline CURLcode argus_curl_set_long(CURL *curl, CURLoption option, long value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode argus_curl_set_offset(CURL *curl, CURLoption option, curl_off_t value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode argus_curl_set_string(CURL *curl, CURLoption option, const char *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode argus_curl_set_pointer(CURL *curl, CURLoption option, void *value) {
    return curl_easy_setopt(curl, option, value);
}
static inline CURLcode argus_curl_set_write_function(CURL *curl, argus_curl_write_fn fn) {
    return curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, fn);
}
static inline CURLcode argus_curl_set_progress_function(CURL *curl, argus_curl_progress_fn fn) {
    return curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, fn);
}
static inline CURLcode argus_curl_get_long(CURL *curl, CURLINFO info, long *value) {
    return curl_easy_getinfo(curl, info, value);
}
