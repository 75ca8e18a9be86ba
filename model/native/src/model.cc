#include "model.h"

#include <algorithm>
#include <mutex>

namespace mmada {

/** Shard size target: big enough that every GEMM runs near the BLAS peak (M >= ~256 rows), small
 *  enough that a batch of 16 x 67 gives 4 shards to balance over 2 threads when a core is busy. */
constexpr int TARGET_SHARD_TOKENS = 256;

Layout::Layout(const Dims& d) {
  size_t o = 0;
  auto take = [&o](size_t n) {
    size_t at = o;
    o += n;
    return at;
  };
  const size_t DD = size_t(d.D) * d.D, DF = size_t(d.D) * d.F;
  embed = take(size_t(d.V) * d.D);
  for (int i = 0; i < d.layers; i++) {
    LayerOffsets l;
    l.attnNorm = take(d.D);
    l.wq = take(DD);
    l.wk = take(DD);
    l.wv = take(DD);
    l.wo = take(DD);
    l.mlpNorm = take(d.D);
    l.wGate = take(DF);
    l.wUp = take(DF);
    l.wDown = take(DF);
    layer.push_back(l);
  }
  finalNorm = take(d.D);
  head = take(size_t(d.D) * d.V);
  total = o;
}

int rowsPerShard(int B, int L) {
  int rows = std::max(1, (TARGET_SHARD_TOKENS + L / 2) / L);
  return std::min(rows, B);
}

void planShards(Context& ctx) {
  const Dims& d = ctx.dims;
  const int L = ctx.L, per = rowsPerShard(ctx.B, L);
  const size_t total = Layout(d).total;
  ctx.shards.clear();
  for (int r = 0; r < ctx.B; r += per) {
    Shard s;
    s.row0 = r;
    s.rows = std::min(per, ctx.B - r);
    s.M = s.rows * L;
    ctx.shards.push_back(s);
  }
  // Two passes: count the floats, then hand out pointers into one arena.
  float* base = nullptr;
  size_t used = 0;
  auto carve = [&](size_t n) {
    float* p = base ? base + used : nullptr;
    used += (n + 15) & ~size_t(15);  // 64-byte aligned slices
    return p;
  };
  for (int pass = 0; pass < 2; pass++) {
    used = 0;
    for (Shard& s : ctx.shards) {
      const size_t M = s.M, MD = M * d.D, MF = M * d.F;
      s.layer.resize(d.layers);
      for (LayerActs& a : s.layer) {
        a.x0 = carve(MD), a.inv1 = carve(M), a.h1 = carve(MD);
        a.q = carve(MD), a.k = carve(MD), a.v = carve(MD);
        a.p = carve(size_t(s.rows) * d.H * L * L), a.att = carve(MD);
        a.x1 = carve(MD), a.inv2 = carve(M), a.h2 = carve(MD);
        a.gate = carve(MF), a.up = carve(MF), a.act = carve(MF);
      }
      s.xf = carve(MD), s.invf = carve(M), s.hf = carve(MD), s.out = carve(M * d.V);
      s.dx = carve(MD), s.dh = carve(MD), s.datt = carve(MD);
      s.dq = carve(MD), s.dk = carve(MD), s.dv = carve(MD);
      s.dgate = carve(MF), s.dup = carve(MF), s.ds = carve(size_t(L) * L);
      s.grads = carve(total);
    }
    if (pass == 0) {
      ctx.arena = takeArena(used + 16);
      // std::vector's storage is at least 16-byte aligned; round up to the 64-byte cache line.
      uintptr_t raw = reinterpret_cast<uintptr_t>(ctx.arena->data());
      base = reinterpret_cast<float*>((raw + 63) & ~uintptr_t(63));
    }
  }
}

namespace {
std::mutex arenaMutex;
std::vector<std::shared_ptr<std::vector<float>>> freeArenas;
/** Arenas kept for reuse; a training step needs one, a step plus an evaluation forward two. */
constexpr size_t MAX_FREE_ARENAS = 2;
}  // namespace

std::shared_ptr<std::vector<float>> takeArena(size_t floats) {
  std::lock_guard<std::mutex> lock(arenaMutex);
  // Smallest free arena that fits.
  auto best = freeArenas.end();
  for (auto it = freeArenas.begin(); it != freeArenas.end(); ++it) {
    if ((*it)->size() >= floats && (best == freeArenas.end() || (*it)->size() < (*best)->size())) best = it;
  }
  if (best != freeArenas.end()) {
    auto a = *best;
    freeArenas.erase(best);
    return a;
  }
  return std::make_shared<std::vector<float>>(floats);
}

void returnArena(std::shared_ptr<std::vector<float>> arena) {
  if (!arena) return;
  std::lock_guard<std::mutex> lock(arenaMutex);
  freeArenas.push_back(std::move(arena));
  if (freeArenas.size() > MAX_FREE_ARENAS) {
    // Drop the smallest: the big ones are the expensive ones to fault in again.
    auto smallest = std::min_element(freeArenas.begin(), freeArenas.end(),
                                     [](const auto& a, const auto& b) { return a->size() < b->size(); });
    freeArenas.erase(smallest);
  }
}

}  // namespace mmada
