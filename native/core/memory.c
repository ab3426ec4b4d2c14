/* Aligned allocation with a live-byte counter, so leak tests can watch native memory. */
#include "kerno_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* A header in front of each block records the size and the offset back to malloc's pointer. */
typedef struct block_header {
    size_t size;
    size_t offset;
} block_header;

static _Atomic uint64_t live_bytes;

void* kerno_aligned_alloc(size_t size, size_t alignment)
{
    if (alignment < sizeof(void*) || (alignment & (alignment - 1)) != 0 || alignment > 4096) {
        kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_aligned_alloc: alignment %zu is not a power of two in [%zu, 4096]",
                   alignment, sizeof(void*));
        return NULL;
    }
    size_t extra = alignment + sizeof(block_header);
    if (size > SIZE_MAX - extra) {
        kerno_fail(KERNO_ERR_INVALID_ARGUMENT, "kerno_aligned_alloc: size %zu overflows", size);
        return NULL;
    }
    unsigned char* raw = malloc(size + extra);
    if (raw == NULL) {
        kerno_fail(KERNO_ERR_OUT_OF_MEMORY, "kerno_aligned_alloc: out of memory for %zu bytes", size);
        return NULL;
    }
    uintptr_t start = (uintptr_t)(raw + sizeof(block_header));
    uintptr_t aligned = (start + alignment - 1) & ~(uintptr_t)(alignment - 1);
    block_header* header = (block_header*)aligned - 1;
    header->size = size;
    header->offset = (size_t)(aligned - (uintptr_t)raw);
    atomic_fetch_add_explicit(&live_bytes, size, memory_order_relaxed);
    return (void*)aligned;
}

void kerno_aligned_free(void* ptr)
{
    if (ptr == NULL)
        return;
    block_header* header = (block_header*)ptr - 1;
    atomic_fetch_sub_explicit(&live_bytes, header->size, memory_order_relaxed);
    free((unsigned char*)ptr - header->offset);
}

uint64_t kerno_debug_live_bytes(void) { return atomic_load_explicit(&live_bytes, memory_order_relaxed); }
