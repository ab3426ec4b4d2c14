/* Library identity and the thread-local error message behind kerno_last_error(). */
#include "kerno_internal.h"

#include <stdio.h>

#ifndef KERNO_VERSION
#define KERNO_VERSION "0.0.0-dev"
#endif

static _Thread_local char last_error[512];

uint32_t kerno_abi_version(void) { return KERNO_ABI_VERSION; }

const char* kerno_version_string(void) { return KERNO_VERSION; }

const char* kerno_last_error(void) { return last_error; }

void kerno_clear_error(void) { last_error[0] = '\0'; }

kerno_status kerno_fail(kerno_status status, const char* fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, args);
    va_end(args);
    return status;
}
