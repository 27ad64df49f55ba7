// CPU placement of the engine's helper threads and of the thread that hands them work (ArgusTensor's WorkerPool).
#define _GNU_SOURCE
#include "CKernels.h"

#include <sched.h>
#include <unistd.h>

int argus_current_cpu(void) {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

int argus_helper_cpu(long index) {
#if defined(__linux__)
    cpu_set_t allowed;
    if (index < 1 || sched_getaffinity(0, sizeof allowed, &allowed) != 0) return -1;
    const long count = CPU_COUNT(&allowed);
    if (index >= count) return -1;
    // Consecutive CPUs of the mask from an offset set by the process id: processes sharing a machine without
    // cpusets do not all put their helpers on the same CPUs.
    const long target = (index + (long)getpid()) % count;
    long seen = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE; cpu++)
        if (CPU_ISSET(cpu, &allowed) && seen++ == target) return cpu;
    return -1;
#else
    (void)index;
    return -1;
#endif
}

int argus_pin_to_cpu(int cpu) {
#if defined(__linux__)
    if (cpu < 0 || cpu >= CPU_SETSIZE) return 0;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(cpu, &one);
    return sched_setaffinity(0, sizeof one, &one) == 0;
#else
    (void)cpu;
    return 0;
#endif
}

int argus_move_off_cpus(const int *cpus, long n) {
#if defined(__linux__)
    const int here = sched_getcpu();
    int taken = 0;
    for (long i = 0; i < n; i++) taken |= cpus[i] == here;
    if (!taken) return 0;
    cpu_set_t allowed, others;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return 0;
    others = allowed;
    for (long i = 0; i < n; i++)
        if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE) CPU_CLR(cpus[i], &others);
    if (CPU_COUNT(&others) == 0 || sched_setaffinity(0, sizeof others, &others) != 0) return 0;
    // The narrower mask moved the thread; the whole mask back leaves it where it now runs.
    sched_setaffinity(0, sizeof allowed, &allowed);
    return 1;
#else
    (void)cpus; (void)n;
    return 0;
#endif
}
