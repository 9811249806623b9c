/* engine/dkim-canon.c — DKIM canonicalization, RFC 6376 §3.4.
 *
 * §3.4.1 simple header, §3.4.2 relaxed header, §3.4.3 simple body, §3.4.4
 * relaxed body, §3.4.5 body length (l=), §3.7 body hash. The body side is a
 * streaming state machine: it hashes as it canonicalizes, keeps only a count
 * of withheld empty lines and one withheld WSP/CR, and never copies the body,
 * so any split of the input into chunks gives the same hash (mailauth issue
 * #115 is the classic bug this avoids).
 *
 * Input lines end in CRLF (engine/message normalises bare LF). A CR that is
 * not followed by LF, and a bare LF, are ordinary data bytes here.
 *
 * Empty bodies: simple → one CRLF (§3.4.3); relaxed → nothing (§3.4.4 as
 * corrected by erratum 1384, which all implementations follow).
 *
 * Speed (issue 21): most of a body is its own canonical form. A vector scan
 * (SSE2, or a word-at-a-time fallback) finds the next byte that is *not* —
 * an HTAB, a SP followed by WSP or CR, a CR that is not the CRLF of a line
 * with content — and the span before it goes to SHA-256 as it is, straight
 * from the message buffer when it is long. Only those bytes go through the
 * byte-wise state machine. Relaxed, an ordinary block (lines ending in CRLF
 * with content, WSP runs inside) skips the machine altogether: its kept
 * bytes are copied in runs, or compressed in one AVX-512 VBMI2 step where
 * the CPU has it (relaxed_plan()). tests/lib/dkim-canon-ref.h keeps the plain
 * byte-wise canonicalizer this replaced; fuzz/fuzz-dkim-canon.c checks the
 * two agree on every input and every split into chunks.
 */
#include "engine/dkim-private.h"
#include "engine/base/base-chars.h"
#include "engine/base/base-cpu.h"
#include "engine/base/base-mem.h"

#include <string.h>
/* BIMI_DKIM_CANON_PORTABLE forces the word-at-a-time scan (its unit test,
 * tests/test-dkim-canon-portable.c, builds this file with it). */
#if defined(__SSE2__) && !defined(BIMI_DKIM_CANON_PORTABLE)
#define CANON_SSE2 1
#include <emmintrin.h>
/* AVX-512 (relaxed_blocks_avx512()) where the compiler can target it for one
 * function and the CPU has it */
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define CANON_AVX512 1
#include <immintrin.h>
#endif
#endif

#define BODY_BUF_BYTES 16384
/* relaxed_block() writes up to 16 bytes past what it keeps */
#define BODY_BUF_SLACK 64
/* A verbatim span at least this long is hashed in place, not copied. */
#define DIRECT_SPAN_BYTES 512

struct _BimiDkimBodyHasher {
  BimiDkimCanon canon;
  EVP_MD_CTX *ctx;
  guint64 limit;        /* bytes of canonical body hashed at most */
  guint64 canon_len;    /* canonical bytes produced so far */
  guint64 pending_crlf; /* empty lines withheld: dropped if the body ends here */
  gboolean pending_cr;  /* a CR whose LF may come in the next chunk */
  gboolean pending_wsp; /* relaxed: a WSP run withheld */
  gboolean line_has_content;
  gsize buf_len;
  guint8 buf[BODY_BUF_BYTES + BODY_BUF_SLACK];
};

static void
flush(BimiDkimBodyHasher *h)
{
  if (h->buf_len > 0) {
    EVP_DigestUpdate(h->ctx, h->buf, h->buf_len);
    h->buf_len = 0;
  }
}

static inline void
emit(BimiDkimBodyHasher *h, guint8 c)
{
  if (h->canon_len++ >= h->limit)
    return;
  if (h->buf_len == BODY_BUF_BYTES)
    flush(h);
  h->buf[h->buf_len++] = c;
}

static void
emit_pending_crlf(BimiDkimBodyHasher *h)
{
  for (; h->pending_crlf > 0; h->pending_crlf--) {
    emit(h, '\r');
    emit(h, '\n');
  }
}

static inline void
content(BimiDkimBodyHasher *h, guint8 c)
{
  if (h->canon == BIMI_DKIM_CANON_RELAXED) {
    if (bimi_char_is_wsp(c)) {
      h->pending_wsp = TRUE;
      return;
    }
    emit_pending_crlf(h);
    if (h->pending_wsp) {
      emit(h, ' ');
      h->pending_wsp = FALSE;
    }
  } else {
    emit_pending_crlf(h);
  }
  emit(h, c);
  h->line_has_content = TRUE;
}

static inline void
end_of_line(BimiDkimBodyHasher *h)
{
  h->pending_wsp = FALSE; /* relaxed: WSP at the end of a line is ignored */
  if (h->line_has_content) {
    emit(h, '\r');
    emit(h, '\n');
    h->line_has_content = FALSE;
  } else {
    h->pending_crlf++;
  }
}

BimiDkimBodyHasher *
bimi_dkim__body_hasher_new(BimiDkimCanon canon, const EVP_MD *md, guint64 limit)
{
  BimiDkimBodyHasher *h = g_new(BimiDkimBodyHasher, 1);
  memset(h, 0, offsetof(BimiDkimBodyHasher, buf)); /* the buffer needs no clearing */
  h->canon = canon;
  h->limit = limit;
  h->ctx = EVP_MD_CTX_new();
  if (h->ctx == NULL || EVP_DigestInit_ex(h->ctx, md, NULL) != 1)
    g_error("dkim: cannot initialise a digest context");
  return h;
}

/* A span of the input that is its own canonical form: hashed as it is. */
static inline void
emit_run(BimiDkimBodyHasher *h, const guint8 *data, gsize n)
{
  guint64 room = h->canon_len < h->limit ? h->limit - h->canon_len : 0;
  gsize take = room < n ? (gsize) room : n;
  h->canon_len += n;
  if (take == 0)
    return;
  if (take >= DIRECT_SPAN_BYTES) {
    flush(h);
    EVP_DigestUpdate(h->ctx, data, take);
    return;
  }
  if (h->buf_len + take > BODY_BUF_BYTES)
    flush(h);
  memcpy(h->buf + h->buf_len, data, take);
  h->buf_len += take;
}

/* The byte masks of one 64-byte block: bit i of *sp is set when b[i] is SP,
 * and so on. */
#ifdef CANON_SSE2
G_ALWAYS_INLINE static inline void
block_masks(const guint8 *b, guint64 *sp, guint64 *ht, guint64 *cr, guint64 *lf)
{
  const __m128i csp = _mm_set1_epi8(' '), cht = _mm_set1_epi8('\t'), ccr = _mm_set1_epi8('\r'),
                clf = _mm_set1_epi8('\n');
  guint64 s = 0, h = 0, c = 0, l = 0;
  /* unrolled by hand: the compiler kept the loop, with variable shifts */
#define CANON_LANE(j) \
  do { \
    __m128i v = _mm_loadu_si128((const __m128i *) (b + 16 * (j))); \
    s |= (guint64) (guint32) _mm_movemask_epi8(_mm_cmpeq_epi8(v, csp)) << (16 * (j)); \
    h |= (guint64) (guint32) _mm_movemask_epi8(_mm_cmpeq_epi8(v, cht)) << (16 * (j)); \
    c |= (guint64) (guint32) _mm_movemask_epi8(_mm_cmpeq_epi8(v, ccr)) << (16 * (j)); \
    l |= (guint64) (guint32) _mm_movemask_epi8(_mm_cmpeq_epi8(v, clf)) << (16 * (j)); \
  } while (0)
  CANON_LANE(0);
  CANON_LANE(1);
  CANON_LANE(2);
  CANON_LANE(3);
#undef CANON_LANE
  *sp = s;
  *ht = h;
  *cr = c;
  *lf = l;
}
#else
/* Word-at-a-time: the bits of the bytes of the little-endian word @x that
 * equal @c (exact: no carry crosses a byte), gathered into 8 bits. */
static inline guint64
word_mask(guint64 x, guint8 c)
{
  const guint64 low7 = G_GUINT64_CONSTANT(0x7f7f7f7f7f7f7f7f);
  guint64 y = x ^ (G_GUINT64_CONSTANT(0x0101010101010101) * c);
  guint64 hi = ~(((y & low7) + low7) | y | low7); /* 0x80 in each equal byte */
  return ((hi >> 7) * G_GUINT64_CONSTANT(0x0102040810204080)) >> 56;
}

G_ALWAYS_INLINE static inline void
block_masks(const guint8 *b, guint64 *sp, guint64 *ht, guint64 *cr, guint64 *lf)
{
  guint64 s = 0, h = 0, c = 0, l = 0;
  for (int j = 0; j < 8; j++) {
    guint64 w;
    memcpy(&w, b + 8 * j, 8);
    w = GUINT64_FROM_LE(w);
    s |= word_mask(w, ' ') << (8 * j);
    h |= word_mask(w, '\t') << (8 * j);
    c |= word_mask(w, '\r') << (8 * j);
    l |= word_mask(w, '\n') << (8 * j);
  }
  *sp = s;
  *ht = h;
  *cr = c;
  *lf = l;
}
#endif

/* A verbatim span ends: what content() does before a byte, once for the
 * span, then the span itself. */
static inline void
verbatim(BimiDkimBodyHasher *h, const guint8 *data, gsize n)
{
  if (h->pending_crlf > 0)
    emit_pending_crlf(h);
  if (h->pending_wsp) {
    emit(h, ' ');
    h->pending_wsp = FALSE;
  }
  emit_run(h, data, n);
  /* a span that ends with a line's CRLF leaves an empty line behind */
  h->line_has_content = !(n >= 2 && data[n - 1] == '\n' && data[n - 2] == '\r');
}

/* A withheld CR that no LF follows (another byte, or the end of the body)
 * is data. */
static inline void
release_pending_cr(BimiDkimBodyHasher *h)
{
  if (h->pending_cr) {
    h->pending_cr = FALSE;
    content(h, '\r');
  }
}

/* One byte through the state machine (the reference's step). */
static inline void
machine(BimiDkimBodyHasher *h, guint8 c)
{
  if (h->pending_cr && c == '\n') {
    h->pending_cr = FALSE;
    end_of_line(h);
    return;
  }
  release_pending_cr(h);
  if (c == '\r')
    h->pending_cr = TRUE;
  else
    content(h, c);
}

static inline guint
ctz64(guint64 x)
{
  return (guint) __builtin_ctzll(x);
}

static inline guint
clz64(guint64 x)
{
  return (guint) __builtin_clzll(x);
}

/* 16 bytes from @src to @dst, every HTAB made a SP. */
static inline void
copy16_htab_to_sp(guint8 *dst, const guint8 *src)
{
#ifdef CANON_SSE2
  __m128i v = _mm_loadu_si128((const __m128i *) src);
  __m128i ht = _mm_cmpeq_epi8(v, _mm_set1_epi8('\t'));
  _mm_storeu_si128((__m128i *) dst, _mm_xor_si128(v, _mm_and_si128(ht, _mm_set1_epi8('\t' ^ ' '))));
#else
  const guint64 low7 = G_GUINT64_CONSTANT(0x7f7f7f7f7f7f7f7f);
  for (int j = 0; j < 2; j++) {
    guint64 w, y, hi;
    memcpy(&w, src + 8 * j, 8);
    y = w ^ G_GUINT64_CONSTANT(0x0909090909090909);
    hi = ~(((y & low7) + low7) | y | low7); /* 0x80 in each HTAB byte */
    w ^= (hi >> 7) * (guint8) ('\t' ^ ' ');
    memcpy(dst + 8 * j, &w, 8);
  }
#endif
}

/* Relaxed (§3.4.4), the common case in one step: a block whose lines end in
 * CRLF, have content, and whose WSP runs lie inside. With no CR pending, no
 * WSP or empty line withheld, the canonical form of the block up to its last
 * "safe" byte (content, or the LF of a CRLF) is the block with
 *  - each WSP run before content turned into one SP (its first byte kept, a
 *    HTAB made SP, the rest deleted),
 *  - each WSP run before a CRLF deleted;
 * so it is written by copying the bytes kept, none through the state
 * machine. relaxed_plan() decides from the masks of a 64-byte block
 * (block_masks()) whether it is of that kind and which bytes go: FALSE for a
 * bare CR or LF, an empty or WSP-only line, an l= limit within reach (the
 * byte-wise path takes those). */
typedef struct {
  guint m;        /* bytes of the block consumed: the safe prefix */
  guint64 kept;   /* bytes of that prefix kept */
  guint kept_n;   /* how many */
  gboolean ends_line; /* the prefix ends with a CRLF */
} RelaxedPlan;

/* Nothing withheld: the precondition of relaxed_plan(), which it leaves true. */
static inline gboolean
relaxed_nothing_pending(const BimiDkimBodyHasher *h)
{
  return !h->pending_cr && !h->pending_wsp && h->pending_crlf == 0;
}

/* @line_has_content and @canon_len: the hasher's, passed in so that the
 * AVX-512 loop keeps them in registers (issue 21); @limit: l=. */
G_ALWAYS_INLINE static inline gboolean
relaxed_plan(gboolean line_has_content, guint64 canon_len, guint64 limit, guint64 sp, guint64 ht, guint64 cr,
             guint64 lf, RelaxedPlan *plan)
{
  const guint64 one = 1;
  guint64 other = sp | ht | cr | lf;
  guint64 safe = ~other | (lf & (cr << 1));
  if (safe == 0)
    return FALSE;
  guint m = 64 - clz64(safe);
  guint64 in = m == 64 ? ~(guint64) 0 : (one << m) - 1;
  guint64 ws = (sp | ht) & in;
  cr &= in;
  lf &= in;
  /* the byte before the block is safe (or the state machine's, which then
   * left nothing pending), so no CRLF or WSP run crosses into the block */
  if ((cr & ~(lf >> 1)) != 0 || (lf & ~(cr << 1)) != 0)
    return FALSE; /* a bare CR or LF */
  guint64 content = ~other & in;
  guint64 del = ws & (ws << 1);
  for (guint64 c = cr; c != 0; c &= c - 1) {
    guint p = ctz64(c);
    guint64 below = (content | lf) & ((one << p) - 1);
    guint start = 0;
    if (below == 0) {
      if (!line_has_content)
        return FALSE; /* a line of WSP only, or empty: withheld */
    } else {
      guint top = 63 - clz64(below);
      if (!(content >> top & 1))
        return FALSE; /* an empty line or one of WSP only: withheld */
      start = top + 1;
    }
    del |= ((one << p) - 1) & ~((one << start) - 1); /* WSP before the CRLF */
  }
  guint kept_n = m;
  for (guint64 d = del; d != 0; d &= d - 1)
    kept_n--; /* a few per block: cheaper than popcount without -mpopcnt */
  if (canon_len + kept_n > limit)
    return FALSE; /* l= cuts inside: byte by byte */
  plan->m = m;
  plan->kept = in & ~del;
  plan->kept_n = kept_n;
  plan->ends_line = (lf >> (m - 1)) & 1;
  return TRUE;
}

G_ALWAYS_INLINE static inline void
relaxed_commit(BimiDkimBodyHasher *h, const RelaxedPlan *plan)
{
  h->buf_len += plan->kept_n;
  h->canon_len += plan->kept_n;
  h->line_has_content = !plan->ends_line;
}

/* relaxed_plan() carried out with SSE2 (or words): each run of kept bytes in
 * 16-byte steps, straight from the input (a copy of the block would cost a
 * store-forwarding stall per load). A step may copy up to 15 bytes too many:
 * the buffer's slack takes them, the next run overwrites them. Near the end
 * of the input (@readable < 80) the block is copied first so that no load
 * reads past it. Returns the bytes consumed, 0 when the plan says no. */
static inline guint
relaxed_block(BimiDkimBodyHasher *h, const guint8 *b, gsize readable, guint64 sp, guint64 ht, guint64 cr,
              guint64 lf)
{
  RelaxedPlan plan;
  if (!relaxed_nothing_pending(h) || !relaxed_plan(h->line_has_content, h->canon_len, h->limit, sp, ht, cr, lf, &plan))
    return 0;
  if (h->buf_len + 64 > BODY_BUF_BYTES)
    flush(h);
  guint8 *o = h->buf + h->buf_len;
  guint64 in = plan.m == 64 ? ~(guint64) 0 : ((guint64) 1 << plan.m) - 1;
  if (plan.kept == in && (ht & in) == 0) {
    memcpy(o, b, plan.m);
  } else {
    guint8 tmp[64 + 16];
    const guint8 *src = b;
    if (readable < 64 + 16) {
      memcpy(tmp, b, 64);
      memset(tmp + 64, 0, 16);
      src = tmp;
    }
    guint64 kept = plan.kept;
    while (kept != 0) {
      guint s = ctz64(kept);
      guint64 rest = ~(kept >> s);
      guint n = rest == 0 ? 64 - s : ctz64(rest);
      for (guint i = 0; i < n; i += 16)
        copy16_htab_to_sp(o + i, src + s + i);
      o += n;
      kept &= n + s >= 64 ? 0 : ~(guint64) 0 << (s + n);
    }
  }
  relaxed_commit(h, &plan);
  return plan.m;
}

#ifdef CANON_AVX512
/* relaxed_plan() over consecutive blocks with AVX-512 (BW for the masks,
 * VBMI2 for vpcompressb, which writes the kept bytes of a block in one
 * step): the part of a relaxed body that costs most, at a fraction of the
 * SSE2 work. Chosen at run time (canon_avx512()). Returns the bytes
 * consumed: it stops before a block relaxed_plan() refuses or the last
 * partial one. The inner loop runs as many blocks as the buffer has room
 * for with the hasher's state in registers and no call (a flush between
 * blocks made the compiler reload the constants and the state each block). */
__attribute__((target("avx512f,avx512bw,avx512vbmi2"))) static gsize
relaxed_blocks_avx512(BimiDkimBodyHasher *h, const guint8 *data, gsize len)
{
  const __m512i csp = _mm512_set1_epi8(' '), cht = _mm512_set1_epi8('\t'), ccr = _mm512_set1_epi8('\r'),
                clf = _mm512_set1_epi8('\n');
  const guint64 limit = h->limit;
  gsize k = 0;
  if (!relaxed_nothing_pending(h))
    return 0;
  for (;;) {
    if (h->buf_len + 64 > BODY_BUF_BYTES)
      flush(h);
    /* each block stores 64 bytes and keeps at most 64: this many fit */
    gsize blocks = (BODY_BUF_BYTES - h->buf_len) / 64;
    guint8 *o = h->buf + h->buf_len;
    guint64 canon_len = h->canon_len;
    gboolean line_has_content = h->line_has_content;
    gboolean refused = FALSE;
    for (; blocks > 0 && len - k >= 64; blocks--) {
      __m512i v = _mm512_loadu_si512((const void *) (data + k));
      guint64 sp = _mm512_cmpeq_epi8_mask(v, csp), ht = _mm512_cmpeq_epi8_mask(v, cht);
      guint64 cr = _mm512_cmpeq_epi8_mask(v, ccr), lf = _mm512_cmpeq_epi8_mask(v, clf);
      RelaxedPlan plan;
      if (!relaxed_plan(line_has_content, canon_len, limit, sp, ht, cr, lf, &plan)) {
        refused = TRUE;
        break;
      }
      v = _mm512_mask_mov_epi8(v, ht, csp);
      _mm512_storeu_si512((void *) o, _mm512_maskz_compress_epi8(plan.kept, v));
      o += plan.kept_n;
      canon_len += plan.kept_n;
      line_has_content = !plan.ends_line;
      k += plan.m;
    }
    h->buf_len = (gsize) (o - h->buf);
    h->canon_len = canon_len;
    h->line_has_content = line_has_content;
    if (refused || len - k < 64)
      return k;
  }
}

static gboolean canon_force_portable;

/* Whether the AVX-512 path is in use: the CPU has it, no test turned it off. */
static gboolean
canon_avx512(void)
{
  return (bimi_cpu_features() & BIMI_CPU_AVX512VBMI2) && !canon_force_portable;
}
#endif

gboolean
bimi_dkim__canon_set_vector(gboolean allow)
{
#ifdef CANON_AVX512
  canon_force_portable = !allow;
  return canon_avx512() || !allow;
#else
  return !allow;
#endif
}

/* The input is cut into 64-byte blocks; for each, a mask of the "special"
 * bytes, those that go through machine(): every other byte is its own
 * canonical form and goes to SHA-256 in spans. Special are:
 *  - the first byte of the chunk (the state from the last chunk applies);
 *  - a CR, unless the byte before it is neither CR nor LF (nor, relaxed,
 *    WSP) — so its line has content and no withheld WSP — and LF follows: that
 *    CRLF ends a line with content and is emitted as it is. Any other CR may
 *    be a bare CR, the end of an empty (maybe trailing) line, or end WSP;
 *  - the byte after a special CR (it decides what that CR is);
 *  - relaxed: HTAB (becomes SP), SP followed by WSP or CR (a run, or WSP at
 *    the end of a line), SP after WSP (it joins the withheld run).
 * The byte after the chunk is unknown: a SP or CR at the end is special.
 * A verbatim SP (relaxed) is a single SP between content and content, which
 * is its own canonical form; the withheld WSP before a span becomes one SP. */
void
bimi_dkim__body_hasher_update(BimiDkimBodyHasher *h, const guint8 *data, gsize len)
{
  const gboolean relaxed = h->canon == BIMI_DKIM_CANON_RELAXED;
  gsize span = 0;                          /* verbatim bytes from here are not emitted yet */
  guint64 c_prev_x = 0, c_ws = 0, c_crb = 0; /* bit 63 of the block before */

  for (gsize k = 0, step; k < len; k += step) {
    gsize n = len - k < 64 ? len - k : 64;
    step = 64;
    guint64 sp, ht, cr, lf;
    if (n == 64) {
      block_masks(data + k, &sp, &ht, &cr, &lf);
      /* (the verbatim bytes before are emitted first, unless they end in a
       * CR: a CRLF is never split between two verbatim spans) */
      if (relaxed && (span == k || data[k - 1] != '\r')) {
        if (span < k) {
          verbatim(h, data + span, k - span);
          span = k;
        }
        gsize m;
#ifdef CANON_AVX512
        if (canon_avx512())
          m = relaxed_blocks_avx512(h, data + k, len - k);
        else
#endif
          m = relaxed_block(h, data + k, len - k, sp, ht, cr, lf);
        if (m > 0) {
          /* the carries of the byte-wise path: byte k + m - 1 is safe, no
           * special CR */
          guint8 c = data[k + m - 1];
          c_prev_x = c == ' ' || c == '\t' || c == '\r' || c == '\n';
          c_ws = c == ' ' || c == '\t';
          c_crb = 0;
          span = k + m;
          step = m;
          continue;
        }
      }
    } else {
      guint8 tmp[64] = { 0 };
      memcpy(tmp, data + k, n);
      block_masks(tmp, &sp, &ht, &cr, &lf);
    }
    guint64 valid = n == 64 ? ~(guint64) 0 : ((guint64) 1 << n) - 1;
    guint64 last = (guint64) 1 << (n - 1);
    guint64 first = k == 0 ? 1 : 0;
    /* the byte after each byte: within the block, then the next block's
     * first byte, or unknown (taken as CR: ends a SP run, is no LF) */
    guint64 next_ws, next_lf;
    if (k + 64 < len) {
      guint8 nb = data[k + 64];
      next_ws = (sp | ht | cr) >> 1 | (guint64) (nb == ' ' || nb == '\t' || nb == '\r') << 63;
      next_lf = lf >> 1 | (guint64) (nb == '\n') << 63;
    } else {
      next_ws = ((sp | ht | cr) >> 1) | last;
      next_lf = (lf >> 1) & ~last;
    }
    guint64 special;
    if (relaxed) {
      guint64 prev_x = (sp | ht | cr | lf) << 1 | c_prev_x;
      guint64 ws = sp | ht;
      guint64 crb = cr & (prev_x | ~next_lf | first);
      special = ht | (sp & next_ws) | (sp & (ws << 1 | c_ws)) | crb | (crb << 1 | c_crb) | first;
      c_prev_x = (sp | ht | cr | lf) >> 63;
      c_ws = ws >> 63;
      c_crb = crb >> 63;
    } else {
      guint64 prev_x = (cr | lf) << 1 | c_prev_x;
      guint64 crb = cr & (prev_x | ~next_lf | first);
      special = crb | (crb << 1 | c_crb) | first;
      c_prev_x = (cr | lf) >> 63;
      c_crb = crb >> 63;
    }
    special &= valid;
    while (special != 0) {
      gsize p = k + (gsize) __builtin_ctzll(special);
      special &= special - 1;
      if (p > span)
        verbatim(h, data + span, p - span);
      machine(h, data[p]);
      span = p + 1;
    }
  }
  if (span < len)
    verbatim(h, data + span, len - span);
}

guint
bimi_dkim__body_hasher_finish(BimiDkimBodyHasher *h, guint8 *digest, guint64 *canon_len)
{
  unsigned int n = 0;
  release_pending_cr(h);
  if (h->line_has_content) {
    /* a body that does not end in CRLF gets one (§3.4.3, §3.4.4) */
    emit(h, '\r');
    emit(h, '\n');
    h->line_has_content = FALSE;
  }
  if (h->canon == BIMI_DKIM_CANON_SIMPLE && h->canon_len == 0) {
    emit(h, '\r');
    emit(h, '\n');
  }
  flush(h);
  EVP_DigestFinal_ex(h->ctx, digest, &n);
  *canon_len = h->canon_len;
  return n;
}

BIMI_DEFINE_FREE_FUNC(BimiDkimBodyHasher, bimi_dkim__body_hasher_free, h)
{
  EVP_MD_CTX_free(h->ctx);
}

/* Relaxed value bytes (§3.4.2) from @v into @o: unfold, WSP runs become
 * one SP, no WSP before the first or after the last byte kept. *pending_sp
 * and *any carry the state over the hole of canon_header(). Returns the end
 * of what was written: never more than @n bytes. */
static guint8 *
canon_relaxed_value(guint8 *o, const char *v, gsize n, gboolean *pending_sp, gboolean *any)
{
  gboolean sp = *pending_sp, seen = *any;
  for (gsize i = 0; i < n;) {
    guint8 c = (guint8) v[i];
    if (G_LIKELY(c > ' ')) {
      /* a run of bytes that are neither WSP nor CR, copied as they are */
      if (sp && seen)
        *o++ = ' ';
      sp = FALSE;
      seen = TRUE;
      do
        *o++ = (guint8) v[i++];
      while (i < n && (guint8) v[i] > ' ');
      continue;
    }
    i++;
    if (c == '\r' && i < n && v[i] == '\n') {
      i++; /* unfold: the CRLF goes, the WSP after it counts as WSP */
      continue;
    }
    if (bimi_char_is_wsp(c)) {
      sp = TRUE;
      continue;
    }
    if (sp && seen)
      *o++ = ' ';
    sp = FALSE;
    seen = TRUE;
    *o++ = c;
  }
  *pending_sp = sp;
  *any = seen;
  return o;
}

/* The field in @canon form with the @hole_len bytes of its value at
 * @hole_offset left out (0, 0: all of it). */
static void
canon_header(GByteArray *out, BimiDkimCanon canon, const char *name, gsize name_len, const char *field,
             gsize field_len, const char *value, gsize value_len, gsize hole_offset, gsize hole_len)
{
  const char *value2 = value + hole_offset + hole_len;
  gsize value2_len = value_len - hole_offset - hole_len;

  if (hole_len == 0)
    hole_offset = value_len, value2_len = 0;
  if (canon == BIMI_DKIM_CANON_SIMPLE) {
    /* §3.4.1: the field exactly as it is, final CRLF included */
    gsize head = (gsize) (value - field) + hole_offset;
    g_byte_array_append(out, (const guint8 *) field, (guint) (hole_len > 0 ? head : field_len));
    if (hole_len > 0)
      g_byte_array_append(out, (const guint8 *) field + head + hole_len, (guint) (field_len - head - hole_len));
    return;
  }
  /* §3.4.2: lower-case name, unfold, WSP runs → one SP, no WSP at the ends
   * of the value or around the colon. The result is never longer than
   * name ":" value CRLF: room for that is made once, written through a
   * pointer (not byte by byte through GByteArray), and the array cut to what
   * was written. */
  guint start = out->len;
  gsize room;
  if (!g_size_checked_add(&room, name_len, value_len) || !g_size_checked_add(&room, room, 3 + (gsize) start) ||
      room > G_MAXUINT)
    g_error("dkim: canonical header data overflows");
  g_byte_array_set_size(out, (guint) room);
  guint8 *o = out->data + start;
  for (gsize i = 0; i < name_len; i++) {
    guint8 c = (guint8) name[i];
    *o++ = c >= 'A' && c <= 'Z' ? c | 0x20 : c; /* inline: GLib's is a call per byte */
  }
  *o++ = ':';
  gboolean pending_sp = FALSE, any = FALSE;
  o = canon_relaxed_value(o, value, hole_offset, &pending_sp, &any);
  o = canon_relaxed_value(o, value2, value2_len, &pending_sp, &any);
  *o++ = '\r';
  *o++ = '\n';
  g_byte_array_set_size(out, (guint) (o - out->data));
}

void
bimi_dkim__canon_header(GByteArray *out, BimiDkimCanon canon, const char *name, gsize name_len,
                        const char *field, gsize field_len, const char *value, gsize value_len)
{
  canon_header(out, canon, name, name_len, field, field_len, value, value_len, 0, 0);
}

void
bimi_dkim__canon_header_hole(GByteArray *out, BimiDkimCanon canon, const BimiHeaderField *f, gsize hole_offset,
                             gsize hole_len)
{
  g_return_if_fail(out != NULL && f != NULL);
  g_return_if_fail(hole_offset <= f->value_length && hole_len <= f->value_length - hole_offset);
  /* a CRLF split by the hole would unfold differently from the copy */
  g_return_if_fail(hole_offset == 0 || f->value[hole_offset - 1] != '\r');
  canon_header(out, canon, f->name, f->name_length, f->field, f->field_length, f->value, f->value_length,
               hole_offset, hole_len);
}
