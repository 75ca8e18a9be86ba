// Forward and backward of one shard (whole sequences) through the transformer; see model.h.
#pragma once
#include "model.h"

namespace mmada {

/**
 * tokens -> logits for the shard's rows. Logits go to `logits` ([M, V] for these rows) when it is
 * not null, else to shard.out (the training loss turns them into its gradient rows in place).
 */
void forwardShard(const Context& ctx, Shard& s, float* logits);

/**
 * Backward from dlogits [M, V] of the shard's rows: the shard's weight gradients into `grads`
 * ([Layout.total], overwritten). Uses the shard's saved activations and scratch.
 */
void backwardShard(const Context& ctx, Shard& s, const float* dlogits, float* grads);

}  // namespace mmada
