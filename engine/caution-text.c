/* engine/caution-text.c — the normal form brand names, display names and domains are
 * compared in (issue 19), with ICU.
 *
 * Unicode TR #15 (NFKC, NFD), Unicode §3.13 / CaseFolding.txt (default case folding,
 * ICU's NFKC_Casefold also drops default-ignorable code points such as U+200B),
 * UTS #39 §4 confusable detection: the skeleton (ICU uspoof_getSkeleton(), the
 * confusables.txt mapping of ICU's data). The skeleton is not meant to be shown:
 * "m" becomes "rn", "0" becomes "O". Deviations, each to catch more lookalikes:
 *   - the fold and the skeleton run twice, so that what one maps to the other's
 *     input is mapped too (skeleton "0" -> "O", fold "O" -> "o");
 *   - nonspacing marks (General_Category Mn) are dropped after NFD: "Acmé" reads as
 *     "Acme" in a sender column;
 *   - display names are also read skeleton-first (a capital "I" standing for "l"
 *     disappears in a fold-first reading: "PayPaI").
 * Brand names from certificates lose their legal form ("Inc.", "GmbH", "株式会社").
 */
#include "engine/caution-private.h"
#include "engine/base/base-domain.h"
#include "engine/limits.h"

#include <string.h>
#include <unicode/ubrk.h>
#include <unicode/uchar.h>
#include <unicode/uscript.h>
#include <unicode/unorm2.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

G_DEFINE_QUARK(bimi-caution-error-quark, bimi_caution_error)

/* One spoof checker for the process: uspoof_getSkeleton() only reads it (ICU
 * documents a configured USpoofChecker as safe to share between threads). */
static USpoofChecker *
spoof_checker(void)
{
  static gsize once = 0;
  static USpoofChecker *checker = NULL;

  if (g_once_init_enter(&once)) {
    UErrorCode status = U_ZERO_ERROR;
    checker = uspoof_open(&status);
    if (U_FAILURE(status))
      checker = NULL;
    g_once_init_leave(&once, 1);
  }
  return checker;
}

/* A UTF-16 buffer with its length. */
typedef struct {
  UChar *s;
  int32_t len;
} U16;

static void
u16_clear(U16 *u)
{
  g_clear_pointer(&u->s, g_free);
  u->len = 0;
}

/* Runs an ICU transformation that preflights (returns the needed length with
 * U_BUFFER_OVERFLOW_ERROR): into a buffer of the input's size times 4, then once
 * more at the needed size, never past BIMI_CAUTION_MAX_NORMALIZED_UNITS. */
typedef int32_t (*Transform)(gconstpointer ctx, const UChar *src, int32_t len, UChar *dst, int32_t cap,
                             UErrorCode *status);

static int32_t
t_normalize(gconstpointer ctx, const UChar *src, int32_t len, UChar *dst, int32_t cap, UErrorCode *status)
{
  return unorm2_normalize(ctx, src, len, dst, cap, status);
}

static int32_t
t_skeleton(gconstpointer ctx, const UChar *src, int32_t len, UChar *dst, int32_t cap, UErrorCode *status)
{
  return uspoof_getSkeleton(ctx, 0, src, len, dst, cap, status);
}

static gboolean
transform(Transform fn, gconstpointer ctx, U16 *u, const char *what, GError **error)
{
  gint64 cap = MAX((gint64) u->len * 4, 16);
  UErrorCode status = U_ZERO_ERROR;
  UChar *out;
  int32_t n;

  if (ctx == NULL) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT, "%s: ICU is not available", what);
    return FALSE;
  }
  cap = MIN(cap, (gint64) BIMI_CAUTION_MAX_NORMALIZED_UNITS);
  out = g_new(UChar, cap);
  n = fn(ctx, u->s, u->len, out, (int32_t) cap, &status);
  if (status == U_BUFFER_OVERFLOW_ERROR && n <= (int32_t) BIMI_CAUTION_MAX_NORMALIZED_UNITS) {
    g_free(out);
    cap = n;
    out = g_new(UChar, MAX(cap, 1));
    status = U_ZERO_ERROR;
    n = fn(ctx, u->s, u->len, out, (int32_t) cap, &status);
  }
  if (status == U_BUFFER_OVERFLOW_ERROR || n > (int32_t) BIMI_CAUTION_MAX_NORMALIZED_UNITS) {
    g_free(out);
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                "%s: more than BIMI_CAUTION_MAX_NORMALIZED_UNITS (%u) UTF-16 units", what,
                BIMI_CAUTION_MAX_NORMALIZED_UNITS);
    return FALSE;
  }
  if (U_FAILURE(status)) {
    g_free(out);
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT, "%s: %s", what, u_errorName(status));
    return FALSE;
  }
  g_free(u->s);
  u->s = out;
  u->len = n;
  return TRUE;
}

/* UTF-8 → UTF-16, refusing what is not UTF-8. */
static gboolean
from_utf8(const char *text, gsize len, gsize max, U16 *u, GError **error)
{
  UErrorCode status = U_ZERO_ERROR;
  int32_t n = 0;

  if (len > max) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                "%" G_GSIZE_FORMAT " bytes of text, more than BIMI_CAUTION_MAX_TEXT_BYTES (%" G_GSIZE_FORMAT ")",
                len, max);
    return FALSE;
  }
  if (!g_utf8_validate_len(text, len, NULL)) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT, "not UTF-8");
    return FALSE;
  }
  u->s = g_new(UChar, len + 1); /* UTF-16 never needs more units than UTF-8 has bytes */
  u_strFromUTF8(u->s, (int32_t) len + 1, &n, text, (int32_t) len, &status);
  if (U_FAILURE(status)) {
    u16_clear(u);
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT, "UTF-8: %s", u_errorName(status));
    return FALSE;
  }
  u->len = n;
  return TRUE;
}

static gboolean
is_word_char(UChar32 c)
{
  return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_MC_MASK | U_GC_ME_MASK)) != 0;
}

/* Symbols and "other" numbers (™ ℠ ® ㍿ ① ², U+2122 …: general categories So, Sk, Sm, Sc, No) become spaces
 * before NFKC, which would otherwise expand them into letters glued to the word before ("Rockets™" →
 * "rocketstm") and hide a whole-token brand name. */
static void
symbols_to_spaces(U16 *u)
{
  for (int32_t i = 0; i < u->len;) {
    int32_t start = i;
    UChar32 c;
    U16_NEXT(u->s, i, u->len, c);
    if ((U_GET_GC_MASK(c) & (U_GC_SO_MASK | U_GC_SK_MASK | U_GC_SM_MASK | U_GC_SC_MASK | U_GC_NO_MASK)) != 0)
      for (int32_t k = start; k < i; k++)
        u->s[k] = 0x20;
  }
}

/* Whether @c belongs to a script written without spaces between words, which ICU's word break
 * iterator segments with its dictionaries (UAX #29 §6.3 leaves them to the implementation). */
static gboolean
is_unspaced_script(UChar32 c)
{
  UErrorCode status = U_ZERO_ERROR;

  switch (uscript_getScript(c, &status)) {
  case USCRIPT_HAN:
  case USCRIPT_HIRAGANA:
  case USCRIPT_KATAKANA:
  case USCRIPT_THAI:
  case USCRIPT_LAO:
  case USCRIPT_KHMER:
  case USCRIPT_MYANMAR:
    return TRUE;
  default:
    return FALSE;
  }
}

gboolean
bimi_caution__token_is_unspaced(const char *token)
{
  g_return_val_if_fail(token != NULL, FALSE);
  return *token != '\0' && is_unspaced_script((UChar32) g_utf8_get_char(token));
}

/* Words of scripts written without spaces become tokens: a space goes wherever ICU's word break
 * iterator (dictionary-based for Japanese, Chinese, Thai...) puts a boundary between two word
 * characters, so "三井住友カードのお知らせ" reads as 三井 住友 カード の お知らせ and can contain the
 * brand 三井 住友 カード as a whole token sequence. Text without such a script is left as it is.
 * At most doubles the length (BIMI_CAUTION_MAX_TEXT_BYTES UTF-16 units in, far below
 * BIMI_CAUTION_MAX_NORMALIZED_UNITS out). */
static gboolean
segment_words(U16 *u, GError **error)
{
  UErrorCode status = U_ZERO_ERROR;
  UBreakIterator *bi;
  gboolean unspaced = FALSE;
  UChar *out;
  int32_t n = 0, from = 0;

  for (int32_t i = 0; i < u->len && !unspaced;) {
    UChar32 c;
    U16_NEXT(u->s, i, u->len, c);
    unspaced = is_unspaced_script(c);
  }
  if (!unspaced)
    return TRUE;
  bi = ubrk_open(UBRK_WORD, "ja", u->s, u->len, &status);
  if (U_FAILURE(status)) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_INPUT, "word break: %s", u_errorName(status));
    return FALSE;
  }
  out = g_new(UChar, (gsize) u->len * 2 + 1);
  for (int32_t b = ubrk_next(bi); b != UBRK_DONE; b = ubrk_next(bi)) {
    UChar32 before, after = 0;
    int32_t k = b;
    memcpy(out + n, u->s + from, (gsize) (b - from) * sizeof(UChar));
    n += b - from;
    from = b;
    U16_PREV(u->s, 0, k, before);
    if (b < u->len)
      U16_GET(u->s, 0, b, u->len, after);
    if (b < u->len && (is_word_char(before) || (U_GET_GC_MASK(before) & U_GC_MN_MASK)) && is_word_char(after))
      out[n++] = 0x20;
  }
  ubrk_close(bi);
  g_free(u->s);
  u->s = out;
  u->len = n;
  return TRUE;
}

/* The common pipeline: [NFKC, skeleton,] (fold, skeleton) twice, fold, NFD. */
static gboolean
normalize(U16 *u, gboolean skeleton_first, guint *out_chars, GError **error)
{
  UErrorCode status = U_ZERO_ERROR;
  const UNormalizer2 *fold = unorm2_getNFKCCasefoldInstance(&status);
  const UNormalizer2 *nfd = U_SUCCESS(status) ? unorm2_getNFDInstance(&status) : NULL;
  const UNormalizer2 *nfkc = U_SUCCESS(status) ? unorm2_getNFKCInstance(&status) : NULL;
  USpoofChecker *sc = spoof_checker();

  if (U_FAILURE(status))
    fold = nfd = nfkc = NULL;
  if (skeleton_first && (!transform(t_normalize, nfkc, u, "NFKC", error) ||
                         !transform(t_skeleton, sc, u, "skeleton", error)))
    return FALSE;
  if (!transform(t_normalize, fold, u, "NFKC case fold", error))
    return FALSE;
  if (out_chars != NULL) {
    guint n = 0;
    for (int32_t i = 0; i < u->len;) {
      UChar32 c;
      U16_NEXT(u->s, i, u->len, c);
      if ((U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK)) != 0)
        n++;
    }
    *out_chars = n;
  }
  for (int round = 0; round < 2; round++)
    if (!transform(t_skeleton, sc, u, "skeleton", error) || !transform(t_normalize, fold, u, "NFKC case fold", error))
      return FALSE;
  return transform(t_normalize, nfd, u, "NFD", error);
}

GPtrArray *
bimi_caution__tokens(const char *text, gsize len, gboolean skeleton_first, guint *out_chars, GError **error)
{
  U16 u = { 0 };
  g_autoptr(GPtrArray) tokens = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GString) cur = g_string_new(NULL);

  g_return_val_if_fail(text != NULL || len == 0, NULL);
  if (!from_utf8(text != NULL ? text : "", len, BIMI_CAUTION_MAX_TEXT_BYTES, &u, error))
    return NULL;
  symbols_to_spaces(&u);
  if (!segment_words(&u, error) || !normalize(&u, skeleton_first, out_chars, error)) {
    u16_clear(&u);
    return NULL;
  }
  for (int32_t i = 0; i <= u.len;) {
    UChar32 c = 0;
    if (i < u.len)
      U16_NEXT(u.s, i, u.len, c);
    else
      i++;
    if (c != 0 && U_GET_GC_MASK(c) & U_GC_MN_MASK)
      continue; /* a nonspacing mark: dropped, the token goes on */
    if (c != 0 && is_word_char(c)) {
      g_string_append_unichar(cur, (gunichar) c);
      continue;
    }
    if (cur->len > 0) {
      g_ptr_array_add(tokens, g_strndup(cur->str, cur->len));
      g_string_truncate(cur, 0);
    }
  }
  u16_clear(&u);
  return g_steal_pointer(&tokens);
}

char *
bimi_caution_skeleton(const char *text, gsize len, GError **error)
{
  g_autoptr(GPtrArray) tokens = bimi_caution__tokens(text, len, FALSE, NULL, error);

  if (tokens == NULL)
    return NULL;
  g_ptr_array_add(tokens, NULL);
  return g_strjoinv(" ", (char **) tokens->pdata);
}

char *
bimi_caution_domain_skeleton(const char *domain, GError **error)
{
  g_autofree char *unicode = NULL;
  g_autoptr(GString) out = g_string_new(NULL);
  U16 u = { 0 };

  g_return_val_if_fail(domain != NULL, NULL);
  unicode = bimi_domain_to_unicode(domain);
  if (!from_utf8(unicode, strlen(unicode), BIMI_DNS_MAX_NAME_BYTES * 4u, &u, error))
    return NULL;
  if (!normalize(&u, FALSE, NULL, error)) {
    u16_clear(&u);
    return NULL;
  }
  for (int32_t i = 0; i < u.len;) {
    UChar32 c;
    U16_NEXT(u.s, i, u.len, c);
    if ((U_GET_GC_MASK(c) & U_GC_MN_MASK) == 0)
      g_string_append_unichar(out, (gunichar) c);
  }
  u16_clear(&u);
  return g_string_free(g_steal_pointer(&out), FALSE);
}

guint
bimi_caution__edit_distance(const gunichar *a, gsize alen, const gunichar *b, gsize blen, guint max)
{
  /* three rows of the OSA matrix: i-2, i-1, i; cells outside the band are max + 1 */
  gsize width = blen + 1;
  guint *rows, *pp, *p, *c;
  guint best;

  if ((alen > blen ? alen - blen : blen - alen) > max)
    return max + 1;
  rows = g_new(guint, 3 * width);
  pp = rows;
  p = rows + width;
  c = rows + 2 * width;
  for (gsize j = 0; j <= blen; j++)
    p[j] = j <= max ? (guint) j : max + 1;
  for (gsize i = 1; i <= alen; i++) {
    gsize lo = i > max ? i - max : 1, hi = MIN(blen, i + max);
    guint *t;
    best = max + 1;
    for (gsize j = 0; j <= blen; j++)
      c[j] = max + 1;
    c[0] = i <= max ? (guint) i : max + 1;
    for (gsize j = lo; j <= hi; j++) {
      guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
      guint v = MIN(MIN(p[j] + 1, c[j - 1] + 1), p[j - 1] + cost);
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        v = MIN(v, pp[j - 2] + 1);
      c[j] = MIN(v, max + 1);
      best = MIN(best, c[j]);
    }
    if (best > max && c[0] > max) {
      g_free(rows);
      return max + 1;
    }
    t = pp;
    pp = p;
    p = c;
    c = t;
  }
  best = p[blen];
  g_free(rows);
  return MIN(best, max + 1);
}

/* ---- brand names from organisation names ---------------------------------- */

/* Legal-form designations, folded and without dots ("S.p.A." is "spa"). */
static const char *const legal_forms[] = {
  "inc", "incorporated", "ltd", "limited", "llc", "llp", "lp", "plc", "corp", "corporation", "co", "company",
  "gmbh", "mbh", "ag", "kg", "kgaa", "ug", "ev", "sa", "sas", "sasu", "sarl", "sàrl", "sca", "spa", "srl", "sl",
  "slu", "bv", "nv", "cv", "vof", "oy", "oyj", "ab", "as", "asa", "aps", "a/s", "kk", "kabushiki", "kaisha", "gk",
  "yk", "pty", "pte", "pvt", "ltda", "eireli", "se", "ehf", "hf", "sro", "zrt", "kft", "bhd", "sdn", "tbk", "pt",
  "ooo", "oao", "zao", "ооо", "оао", "зао", "ао", "пао", "ltée", "ltee", "limitée", "inc/ltée",
};

/* CJK and Korean forms written without a space, at the start or the end. */
static const char *const legal_affixes[] = {
  "株式会社", "有限会社", "合同会社", "合名会社", "合資会社", "股份有限公司", "有限责任公司", "有限公司",
  "주식회사", "유한회사", "(주)", "㈱", "（株）", "(株)",
};

static gboolean
is_legal_form(const char *word, gsize len)
{
  g_autofree char *folded = g_utf8_casefold(word, (gssize) len);
  GString *w = g_string_new(NULL);
  gboolean found = FALSE;

  for (const char *p = folded; *p != '\0'; p++)
    if (*p != '.' && *p != ',')
      g_string_append_c(w, *p);
  for (gsize i = 0; i < G_N_ELEMENTS(legal_forms) && !found; i++)
    found = strcmp(w->str, legal_forms[i]) == 0;
  g_string_free(w, TRUE);
  return found;
}

/* Whitespace, commas, hyphens and '&' at the end of @s[0..*len) dropped. */
static void
trim_tail(const char *s, gsize *len)
{
  while (*len > 0 && strchr(" \t,&-/", s[*len - 1]) != NULL)
    (*len)--;
}

char *
bimi_caution_brand_name_from_organization(const char *organization)
{
  g_autofree char *s = NULL;
  gsize len;
  const char *start;

  if (organization == NULL || !g_utf8_validate(organization, -1, NULL))
    return NULL;
  s = g_strstrip(g_strdup(organization));
  if (*s == '\0')
    return NULL;
  start = s;
  len = strlen(s);
  for (guint round = 0; round < 8; round++) {
    gboolean changed = FALSE;
    for (gsize i = 0; i < G_N_ELEMENTS(legal_affixes) && !changed; i++) {
      gsize n = strlen(legal_affixes[i]);
      if (len > n && strncmp(start, legal_affixes[i], n) == 0) {
        start += n;
        len -= n;
        changed = TRUE;
      } else if (len > n && memcmp(start + len - n, legal_affixes[i], n) == 0) {
        len -= n;
        changed = TRUE;
      }
      while (changed && len > 0 && g_ascii_isspace(*start)) {
        start++;
        len--;
      }
      trim_tail(start, &len);
    }
    if (!changed) {
      /* the last word, after a space or a comma */
      gsize w = len;
      while (w > 0 && start[w - 1] != ' ' && start[w - 1] != ',')
        w--;
      if (w > 0 && is_legal_form(start + w, len - w)) {
        len = w;
        trim_tail(start, &len);
        changed = len > 0;
      }
    }
    if (!changed)
      break;
  }
  /* an English article in front ("The Acme Company"): the name a sender column shows */
  if (len > 4 && g_ascii_strncasecmp(start, "the ", 4) == 0) {
    start += 4;
    len -= 4;
  }
  if (len == 0)
    return g_strdup(s);
  return g_strndup(start, len);
}

/* ---- the stop list ------------------------------------------------------------ */

/* Words and phrases senders use that name no brand (English, and the languages of
 * large mail markets): a brand named only with them claims nothing on its own. */
static const char *const builtin_stop_words[] = {
  "account", "accounts", "admin", "administrator", "alert", "alerts", "billing", "bank", "customer",
  "customer service", "customer support", "customers", "delivery", "help", "help desk", "helpdesk", "hr",
  "info", "information", "it", "it support", "mail", "mailer", "mailer daemon", "marketing", "news",
  "newsletter", "no reply", "noreply", "notification", "notifications", "notice", "office", "online",
  "order", "orders", "payment", "payments", "postmaster", "sales", "security", "security team", "service",
  "services", "shop", "store", "support", "support team", "system", "team", "the team", "update", "updates",
  "verification", "webmaster", "welcome", "your account", "invoice", "invoices", "shipping", "tech support",
  "it department", "accounting", "finance", "payroll", "human resources", "service desk", "servicedesk",
  "kundenservice", "service client", "atención al cliente", "assistenza", "サポート", "お知らせ",
  NULL,
};

const char *const *
bimi_caution_builtin_stop_words(void)
{
  return builtin_stop_words;
}

gboolean
bimi_caution__read_file(const char *path, char **out_data, gsize *out_len, GError **error)
{
  g_autoptr(GError) local = NULL;

  if (g_file_get_contents(path, out_data, out_len, &local))
    return TRUE;
  g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_IO, "%s: %s", path, local->message);
  return FALSE;
}

char **
bimi_caution_stop_words_load(const char *path, GError **error)
{
  g_autofree char *data = NULL;
  g_autoptr(GPtrArray) words = g_ptr_array_new_with_free_func(g_free);
  g_auto(GStrv) lines = NULL;
  gsize len = 0;

  g_return_val_if_fail(path != NULL, NULL);
  if (!bimi_caution__read_file(path, &data, &len, error))
    return NULL;
  if (len > BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                "%s: %" G_GSIZE_FORMAT " bytes, more than BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES (%u)", path, len,
                BIMI_CAUTION_MAX_STOP_WORDS_FILE_BYTES);
    return NULL;
  }
  lines = g_strsplit(data, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++) {
    char *hash = strchr(lines[i], '#');
    if (hash != NULL)
      *hash = '\0';
    g_strstrip(lines[i]);
    if (*lines[i] == '\0')
      continue;
    if (!g_utf8_validate(lines[i], -1, NULL)) {
      g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_SYNTAX, "%s: line %u: not UTF-8", path, i + 1);
      return NULL;
    }
    if (words->len >= BIMI_CAUTION_MAX_STOP_WORDS) {
      g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT,
                  "%s: line %u: more than BIMI_CAUTION_MAX_STOP_WORDS (%u) words", path, i + 1,
                  BIMI_CAUTION_MAX_STOP_WORDS);
      return NULL;
    }
    g_ptr_array_add(words, g_strdup(lines[i]));
  }
  g_ptr_array_add(words, NULL);
  return (char **) g_ptr_array_free(g_steal_pointer(&words), FALSE);
}
