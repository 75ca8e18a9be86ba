// Forward and backward of one shard (whole sequences) through the transformer; see model.h.
#pragma once
#include "model.h"

namespace mmada {

/**
 * tokens -> logits for the shard's rows. With ctx.lossMode only the rows in s.headRows get logits,
 * compacted into s.out [headRows, V]; otherwise every row's logits go to `logits` [M, V].
 */
void forwardShard(const Context& ctx, Shard& s, float* logits);

/**
 * Backward from dlogits (rows as the forward produced them: s.headRows in loss mode, else all M):
 * the shard's weight gradients into `grads` ([Layout.total], overwritten). Uses the shard's saved
 * activations and scratch.
 */
void backwardShard(const Context& ctx, Shard& s, const float* dlogits, float* grads);

}  // namespace mmada
