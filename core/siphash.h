/*
 * siphash.h - the keyed hash of the tables whose keys remote clients choose
 * (message keys in outbox.c, client addresses in accept.c). Keyed with a
 * random seed per table, nobody can precompute entries that share a bucket
 * and turn every lookup into a walk of one long chain.
 */
#ifndef WSP_SIPHASH_H
#define WSP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

/* SipHash-1-3 (as Python and Rust hash their tables) of n bytes under key,
 * folded to 32 bits. */
uint32_t wsp_siphash13(const uint64_t key[2], const void *data, size_t n);

/* A fresh random key (getrandom; if that fails, time, pid and addresses,
 * still unknown to a remote client). */
void wsp_siphash_seed(uint64_t key[2]);

#endif
