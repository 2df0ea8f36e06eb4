#ifndef ARMORY_ALLOCATION_COUNTER_H
#define ARMORY_ALLOCATION_COUNTER_H

/// The number of heap allocations (malloc, calloc, realloc, posix_memalign, aligned_alloc,
/// memalign) made by any thread of this process so far.
unsigned long armory_allocation_count(void);

#endif
