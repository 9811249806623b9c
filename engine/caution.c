/* engine/caution.c — the brand set and the check of one message (issue 19).
 *
 * Display-name signal: RFC 5322 §3.4 display-name, normalised by caution-text.c
 * (UTS #39 §4 skeleton), must contain a brand name's tokens as a contiguous
 * sequence, or one token equal to the name's tokens written together ("AcmeRockets").
 * Lookalike-domain signal: the author domain (RFC 7489 §3.1.1) against each brand
 * domain — equal skeletons of the Unicode forms (RFC 5891 §5), or an edit distance
 * of at most max_edit_distance between the registrable parts (Organizational Domain,
 * RFC 7489 §3.2, libpsl), or the brand name's tokens in the labels left of the public
 * suffix ("acme-rockets.example"). Distances and names-in-labels are only looked for
 * across registrants: a domain under the brand's own Organizational Domain is its
 * owner's to name (only a homoglyph of a brand domain counts there).
 *
 * Everything about the brands is computed once in bimi_caution_set_new(): the
 * skeleton tokens of every name, hash indexes by first token, by the name written
 * as one token, and by domain skeleton, each domain's Organizational Domain and
 * skeletons as code points. A check normalises one display name (twice: fold-first
 * and skeleton-first) and one domain, then does hash lookups plus a banded edit
 * distance for the brand domains within max_edit_distance in length.
 */
#include "engine/caution-private.h"
#include "engine/base/base-mem.h"
#include "engine/base/base-domain.h"
#include "engine/dmarc.h"
#include "engine/limits.h"

#include <string.h>

typedef struct {
  char **tokens;  /* skeleton tokens, NULL-terminated */
  guint n;
  char *joined;   /* the tokens written together: the one-token form ("acrnerockets") */
} NameSeq;

typedef struct {
  char *ascii;             /* the brand domain, A-labels */
  char *org;               /* its Organizational Domain (libpsl), or NULL for a public suffix */
  gunichar *skel;          /* skeleton of the Unicode form, code points */
  glong skel_len;
  gunichar *org_skel;      /* skeleton of @org, or NULL */
  glong org_skel_len;
  gsize reg_len, org_reg_len; /* bytes left of the public suffix, of the name and of @org */
} DomainInfo;

typedef struct {
  BimiCautionBrand *brand; /* merged */
  char *key;               /* the name's skeleton: brands with equal keys are merged */
  GPtrArray *names;        /* NameSeq*: name and alias that may claim (long enough, not stop words) */
  GArray *domains;         /* DomainInfo */
} Entry;

typedef struct {
  Entry *entry;
  const NameSeq *seq;
} NameRef;

typedef struct {
  Entry *entry;
  gboolean is_org;         /* the key was the skeleton of the Organizational Domain */
  const DomainInfo *info;
} DomainRef;

struct _BimiCautionSet { /* a g_atomic_rc_box */
  guint min_name_length, max_edit_distance;
  GPtrArray *entries;      /* Entry* */
  GHashTable *first_token; /* token -> GPtrArray of NameRef* */
  GHashTable *joined;      /* joined form -> GPtrArray of NameRef* (names of two tokens or more) */
  GHashTable *domain_skel; /* skeleton (UTF-8) -> GPtrArray of DomainRef* */
  GHashTable *by_length;   /* skeleton length in code points -> GPtrArray of DomainRef* (the edit distance's
                            * candidates: only lengths within max_edit_distance can be that close) */
  GHashTable *stop;        /* stop phrases, skeleton tokens joined by ' ' */
  gsize longest_joined;    /* bytes of the longest NameSeq.joined: bounds match_unspaced_runs */
};

static void
name_seq_free(NameSeq *s)
{
  g_strfreev(s->tokens);
  BIMI_FREE_ALL(s->joined, s);
}

static void
domain_info_clear(DomainInfo *d)
{
  BIMI_FREE_ALL(d->ascii, d->org, d->skel, d->org_skel);
}

BIMI_DEFINE_STATIC_FREE_FUNC(Entry, entry_free, e)
{
  bimi_caution_brand_free(e->brand);
  g_free(e->key);
  g_ptr_array_unref(e->names);
  g_array_unref(e->domains);
}

const char *
bimi_caution_signal_to_string(guint signals)
{
  switch (signals & (BIMI_CAUTION_SIGNAL_DISPLAY_NAME | BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN)) {
  case BIMI_CAUTION_SIGNAL_DISPLAY_NAME:
    return "display-name";
  case BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN:
    return "lookalike-domain";
  case BIMI_CAUTION_SIGNAL_DISPLAY_NAME | BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN:
    return "both";
  default:
    return NULL;
  }
}

/* Appends @item to the array under @key of @table (created on first use). */
static void
index_add(GHashTable *table, const char *key, gpointer item)
{
  GPtrArray *list = g_hash_table_lookup(table, key);

  if (list == NULL) {
    list = g_ptr_array_new_with_free_func(g_free);
    g_hash_table_insert(table, g_strdup(key), list);
  }
  g_ptr_array_add(list, item);
}

static char *
tokens_join(GPtrArray *tokens, const char *sep)
{
  GString *s = g_string_new(NULL);

  for (guint i = 0; i < tokens->len; i++) {
    if (i > 0)
      g_string_append(s, sep);
    g_string_append(s, g_ptr_array_index(tokens, i));
  }
  return g_string_free(s, FALSE);
}

/* Whether the name of @tokens (with @n_chars letters and digits) may claim a brand:
 * long enough, not a stop phrase, not made of stop words only. */
static gboolean
name_may_claim(const BimiCautionSet *set, GPtrArray *tokens, guint n_chars)
{
  g_autofree char *phrase = NULL;
  gboolean all_stop = TRUE;

  if (tokens->len == 0 || n_chars < set->min_name_length)
    return FALSE;
  phrase = tokens_join(tokens, " ");
  if (g_hash_table_contains(set->stop, phrase))
    return FALSE;
  for (guint i = 0; i < tokens->len && all_stop; i++)
    all_stop = g_hash_table_contains(set->stop, g_ptr_array_index(tokens, i));
  return !all_stop;
}

/* The NameSeq of @text, or NULL when it may not claim (or cannot be normalised). */
static NameSeq *
name_seq_new(const BimiCautionSet *set, const char *text)
{
  guint n_chars = 0;
  g_autoptr(GPtrArray) tokens = bimi_caution__tokens(text, strlen(text), FALSE, &n_chars, NULL);
  NameSeq *s;

  if (tokens == NULL || !name_may_claim(set, tokens, n_chars))
    return NULL;
  s = g_new0(NameSeq, 1);
  s->n = tokens->len;
  s->joined = tokens_join(tokens, "");
  g_ptr_array_add(tokens, NULL);
  s->tokens = (char **) g_ptr_array_free(g_steal_pointer(&tokens), FALSE);
  return s;
}

/* Bytes of @domain left of the public suffix of its Organizational Domain @org. */
static gsize
registrable_len(const char *domain, const char *org)
{
  const char *dot = org != NULL ? strchr(org, '.') : NULL;
  gsize suffix = dot != NULL ? strlen(dot) : 0;
  gsize n = strlen(domain);

  return n > suffix ? n - suffix : 0;
}

static gunichar *
skeleton_ucs4(const char *domain, glong *len)
{
  g_autofree char *s = bimi_caution_domain_skeleton(domain, NULL);

  *len = 0;
  return s != NULL ? g_utf8_to_ucs4_fast(s, -1, len) : NULL;
}

static void
domain_info_init(DomainInfo *d, const char *ascii)
{
  memset(d, 0, sizeof *d);
  d->ascii = g_strdup(ascii);
  d->org = bimi_dmarc_org_domain_psl(ascii, NULL);
  d->skel = skeleton_ucs4(ascii, &d->skel_len);
  if (d->org != NULL)
    d->org_skel = skeleton_ucs4(d->org, &d->org_skel_len);
  d->reg_len = registrable_len(ascii, d->org);
  d->org_reg_len = d->org != NULL ? registrable_len(d->org, d->org) : 0;
}

/* Unites the domains of @from into @into (up to BIMI_CAUTION_MAX_BRAND_DOMAINS). */
static void
merge_brand(BimiCautionBrand *into, const BimiCautionBrand *from)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new();

  for (guint i = 0; into->domains[i] != NULL; i++)
    g_ptr_array_add(all, into->domains[i]);
  for (guint i = 0; from->domains[i] != NULL && all->len < BIMI_CAUTION_MAX_BRAND_DOMAINS; i++)
    if (!g_strv_contains((const char *const *) into->domains, from->domains[i]))
      g_ptr_array_add(all, g_strdup(from->domains[i]));
  g_ptr_array_add(all, NULL);
  g_free(into->domains); /* the strings moved into @all */
  into->domains = (char **) g_ptr_array_free(g_steal_pointer(&all), FALSE);
  if (into->logo_sha256 == NULL)
    into->logo_sha256 = g_strdup(from->logo_sha256);
  if (into->alias == NULL && from->alias != NULL && g_strcmp0(from->alias, into->name) != 0)
    into->alias = g_strdup(from->alias);
  if (into->not_after != 0)
    into->not_after = from->not_after == 0 ? 0 : MAX(into->not_after, from->not_after);
}

BimiCautionSet *
bimi_caution_set_new(GPtrArray *brands, const BimiCautionOptions *options, GError **error)
{
  g_return_val_if_fail(options != NULL, NULL);

  /* Every member is set before the set can be released (its release unrefs them all). */
  g_autoptr(BimiCautionSet) set = g_atomic_rc_box_new0(BimiCautionSet);
  g_autoptr(GHashTable) by_key = g_hash_table_new(g_str_hash, g_str_equal);
  const char *const *stop = options->stop_words != NULL ? options->stop_words : bimi_caution_builtin_stop_words();
  set->min_name_length = options->min_name_length;
  set->max_edit_distance = MIN(options->max_edit_distance, BIMI_CAUTION_MAX_EDIT_DISTANCE);
  set->entries = g_ptr_array_new_with_free_func((GDestroyNotify) entry_free);
  set->first_token = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  set->joined = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  set->domain_skel = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify) g_ptr_array_unref);
  set->stop = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  set->by_length = g_hash_table_new_full(NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);

  for (gsize i = 0; stop[i] != NULL; i++) {
    char *s = bimi_caution_skeleton(stop[i], strlen(stop[i]), error);
    if (s == NULL)
      return NULL;
    g_hash_table_add(set->stop, s);
  }
  if (brands != NULL && brands->len > BIMI_CAUTION_MAX_BRANDS) {
    g_set_error(error, BIMI_CAUTION_ERROR, BIMI_CAUTION_ERROR_LIMIT, "%u brands, more than BIMI_CAUTION_MAX_BRANDS (%u)",
                brands->len, BIMI_CAUTION_MAX_BRANDS);
    return NULL;
  }
  /* one entry per name skeleton: equal names are one brand with every domain */
  for (guint i = 0; brands != NULL && i < brands->len; i++) {
    const BimiCautionBrand *b = g_ptr_array_index(brands, i);
    g_autofree char *key = bimi_caution_skeleton(b->name, strlen(b->name), error);
    Entry *e;
    if (key == NULL)
      return NULL;
    e = g_hash_table_lookup(by_key, key);
    if (e != NULL) {
      merge_brand(e->brand, b);
      continue;
    }
    e = g_new0(Entry, 1);
    e->brand = bimi_caution_brand_copy(b);
    e->key = g_steal_pointer(&key);
    e->names = g_ptr_array_new_with_free_func((GDestroyNotify) name_seq_free);
    e->domains = g_array_new(FALSE, TRUE, sizeof(DomainInfo));
    g_array_set_clear_func(e->domains, (GDestroyNotify) domain_info_clear);
    g_ptr_array_add(set->entries, e);
    g_hash_table_insert(by_key, e->key, e);
  }
  /* the indexes */
  for (guint i = 0; i < set->entries->len; i++) {
    Entry *e = g_ptr_array_index(set->entries, i);
    const char *texts[] = { e->brand->name, e->brand->alias };
    for (gsize t = 0; t < G_N_ELEMENTS(texts); t++) {
      NameSeq *s = texts[t] != NULL ? name_seq_new(set, texts[t]) : NULL;
      NameRef *ref;
      if (s == NULL)
        continue;
      g_ptr_array_add(e->names, s);
      set->longest_joined = MAX(set->longest_joined, strlen(s->joined));
      ref = g_new(NameRef, 1);
      *ref = (NameRef) { e, s };
      index_add(set->first_token, s->tokens[0], ref);
      if (s->n >= 2) {
        ref = g_new(NameRef, 1);
        *ref = (NameRef) { e, s };
        index_add(set->joined, s->joined, ref);
      }
    }
    for (guint k = 0; e->brand->domains[k] != NULL; k++) {
      DomainInfo d;
      domain_info_init(&d, e->brand->domains[k]);
      g_array_append_val(e->domains, d);
    }
    for (guint k = 0; k < e->domains->len; k++) {
      const DomainInfo *d = &g_array_index(e->domains, DomainInfo, k);
      for (int is_org = 0; is_org < 2; is_org++) {
        const gunichar *u = is_org ? d->org_skel : d->skel;
        glong n = is_org ? d->org_skel_len : d->skel_len;
        g_autofree char *key = u != NULL ? g_ucs4_to_utf8(u, n, NULL, NULL, NULL) : NULL;
        DomainRef *ref;
        if (key == NULL || (is_org && d->org_reg_len < set->min_name_length))
          continue;
        ref = g_new(DomainRef, 1);
        *ref = (DomainRef) { e, is_org, d };
        index_add(set->domain_skel, key, ref);
        if ((is_org ? d->org_reg_len : d->reg_len) >= set->min_name_length) {
          GPtrArray *list = g_hash_table_lookup(set->by_length, GSIZE_TO_POINTER((gsize) n));
          if (list == NULL) {
            list = g_ptr_array_new_with_free_func(g_free);
            g_hash_table_insert(set->by_length, GSIZE_TO_POINTER((gsize) n), list);
          }
          ref = g_new(DomainRef, 1);
          *ref = (DomainRef) { e, is_org, d };
          g_ptr_array_add(list, ref);
        }
      }
    }
  }
  return g_steal_pointer(&set);
}

/* What the last reference releases; g_atomic_rc_box_release_full() frees the box. */
BIMI_DEFINE_ATOMIC_RC_FUNCS(BimiCautionSet, bimi_caution_set, set)
{
  GHashTable *tables[] = { set->first_token, set->joined, set->domain_skel, set->stop, set->by_length };

  g_ptr_array_unref(set->entries);
  for (gsize i = 0; i < G_N_ELEMENTS(tables); i++)
    g_hash_table_unref(tables[i]);
}

guint
bimi_caution_set_size(const BimiCautionSet *set)
{
  g_return_val_if_fail(set != NULL, 0);
  return set->entries->len;
}

BIMI_DEFINE_FREE_FUNC(BimiCautionMatch, bimi_caution_match_free, m)
{
  BIMI_FREE_ALL(m->brand, m->matched, m->text);
  g_strfreev(m->domains);
}

/* ---- one message ------------------------------------------------------------ */

/* Signals found per entry (Entry* -> GUINT_TO_POINTER(bits)). */
static void
note(GHashTable *found, Entry *e, guint signal)
{
  guint bits = GPOINTER_TO_UINT(g_hash_table_lookup(found, e));
  g_hash_table_insert(found, e, GUINT_TO_POINTER(bits | signal));
}

/* Every name whose tokens appear in @tokens as a contiguous sequence, or whose joined form is one token. */
static void
match_tokens(const BimiCautionSet *set, GPtrArray *tokens, GHashTable *found, guint signal)
{
  for (guint i = 0; tokens != NULL && i < tokens->len; i++) {
    const char *t = g_ptr_array_index(tokens, i);
    GPtrArray *refs = g_hash_table_lookup(set->first_token, t);
    for (guint r = 0; refs != NULL && r < refs->len; r++) {
      const NameRef *ref = g_ptr_array_index(refs, r);
      gboolean all = i + ref->seq->n <= tokens->len;
      for (guint k = 1; all && k < ref->seq->n; k++)
        all = strcmp(g_ptr_array_index(tokens, i + k), ref->seq->tokens[k]) == 0;
      if (all)
        note(found, ref->entry, signal);
    }
    refs = g_hash_table_lookup(set->joined, t);
    for (guint r = 0; refs != NULL && r < refs->len; r++)
      note(found, ((const NameRef *) g_ptr_array_index(refs, r))->entry, signal);
  }
}

/* Consecutive tokens of scripts written without spaces, written together, compared with every
 * name's joined form: ICU's dictionary cuts an unknown katakana name differently inside a longer
 * text ("アクメ ロケ ッ ツ サポート") than alone ("アクメロケッツ"), so the name is found when a run of
 * whole tokens spells it. Latin tokens are never joined (the whole-token rule stays as it is). */
static void
match_unspaced_runs(const BimiCautionSet *set, GPtrArray *tokens, GHashTable *found, guint signal)
{
  g_autoptr(GString) cat = g_string_new(NULL);

  for (guint i = 0; tokens != NULL && i < tokens->len; i++) {
    if (!bimi_caution__token_is_unspaced(g_ptr_array_index(tokens, i)))
      continue;
    g_string_assign(cat, g_ptr_array_index(tokens, i));
    for (guint j = i + 1; j < tokens->len; j++) {
      const char *t = g_ptr_array_index(tokens, j);
      GPtrArray *refs;
      if (!bimi_caution__token_is_unspaced(t) || cat->len + strlen(t) > set->longest_joined)
        break;
      g_string_append(cat, t);
      refs = g_hash_table_lookup(set->joined, cat->str);
      for (guint r = 0; refs != NULL && r < refs->len; r++)
        note(found, ((const NameRef *) g_ptr_array_index(refs, r))->entry, signal);
      refs = g_hash_table_lookup(set->first_token, cat->str);
      for (guint r = 0; refs != NULL && r < refs->len; r++) {
        const NameRef *ref = g_ptr_array_index(refs, r);
        if (ref->seq->n == 1)
          note(found, ref->entry, signal);
      }
    }
  }
}

/* Whether @domain is within one of @e's domains (the brand's own). */
static gboolean
entry_owns(const Entry *e, const char *domain)
{
  for (guint k = 0; k < e->domains->len; k++)
    if (bimi_domain_is_within(domain, g_array_index(e->domains, DomainInfo, k).ascii))
      return TRUE;
  return FALSE;
}

/* Whether @org is the Organizational Domain of one of @e's domains. */
static gboolean
entry_same_org(const Entry *e, const char *org)
{
  for (guint k = 0; org != NULL && k < e->domains->len; k++)
    if (g_strcmp0(g_array_index(e->domains, DomainInfo, k).org, org) == 0)
      return TRUE;
  return FALSE;
}

/* The brand domains (or their Organizational Domains, when @org_too) whose skeleton lies within
 * max_edit_distance of @u: the edit-distance lookalikes, across registrants only. */
static void
match_distance(const BimiCautionSet *set, const gunichar *u, glong ulen, gboolean org_too, const char *author,
               const char *org, GHashTable *found)
{
  guint k = set->max_edit_distance;

  for (glong len = MAX(ulen - (glong) k, 1); u != NULL && len <= ulen + (glong) k; len++) {
    GPtrArray *refs = g_hash_table_lookup(set->by_length, GSIZE_TO_POINTER((gsize) len));
    for (guint r = 0; refs != NULL && r < refs->len; r++) {
      const DomainRef *ref = g_ptr_array_index(refs, r);
      const gunichar *b = ref->is_org ? ref->info->org_skel : ref->info->skel;
      glong blen = ref->is_org ? ref->info->org_skel_len : ref->info->skel_len;
      if ((ref->is_org && !org_too) || entry_same_org(ref->entry, org) || entry_owns(ref->entry, author))
        continue;
      if (bimi_caution__edit_distance(u, (gsize) ulen, b, (gsize) blen, k) <= k)
        note(found, ref->entry, BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN);
    }
  }
}

/* The lookalike-domain signal for @author (A-labels). */
static void
match_domain(const BimiCautionSet *set, const char *author, GHashTable *found)
{
  g_autofree char *org = bimi_dmarc_org_domain_psl(author, NULL);
  g_autofree char *skel = bimi_caution_domain_skeleton(author, NULL);
  g_autofree char *org_skel = org != NULL ? bimi_caution_domain_skeleton(org, NULL) : NULL;
  g_autofree gunichar *u = NULL, *org_u = NULL;
  glong ulen = 0, org_ulen = 0;
  const char *keys[] = { skel, org_skel };

  if (skel == NULL)
    return;
  /* equal skeletons: the full name, or (across registrants) the registrable part */
  for (gsize i = 0; i < G_N_ELEMENTS(keys); i++) {
    GPtrArray *refs = keys[i] != NULL ? g_hash_table_lookup(set->domain_skel, keys[i]) : NULL;
    for (guint r = 0; refs != NULL && r < refs->len; r++) {
      const DomainRef *ref = g_ptr_array_index(refs, r);
      gboolean across = g_strcmp0(org, ref->info->org) != 0;
      if (entry_owns(ref->entry, author))
        continue;
      if ((i == 0 && !ref->is_org) || across)
        note(found, ref->entry, BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN);
    }
  }
  u = g_utf8_to_ucs4_fast(skel, -1, &ulen);
  if (org_skel != NULL)
    org_u = g_utf8_to_ucs4_fast(org_skel, -1, &org_ulen);
  /* a small edit distance: the name to brand domains, its registrable part to brand domains and theirs */
  if (set->max_edit_distance > 0) {
    match_distance(set, u, ulen, FALSE, author, org, found);
    match_distance(set, org_u, org_ulen, TRUE, author, org, found);
  }
  /* the brand's name spelt in the labels left of the public suffix */
  if (org != NULL) {
    g_autofree char *unicode = bimi_domain_to_unicode(author);
    g_autofree char *org_unicode = bimi_domain_to_unicode(org);
    const char *dot = strchr(org_unicode, '.');
    gsize n = strlen(unicode), suffix = dot != NULL ? strlen(dot) : 0;
    g_autoptr(GHashTable) named = g_hash_table_new(NULL, NULL);
    g_autoptr(GPtrArray) tokens = n > suffix ? bimi_caution__tokens(unicode, n - suffix, FALSE, NULL, NULL) : NULL;
    GHashTableIter it;
    gpointer key;

    match_tokens(set, tokens, named, BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN);
    g_hash_table_iter_init(&it, named);
    while (g_hash_table_iter_next(&it, &key, NULL))
      if (!entry_same_org(key, org) && !entry_owns(key, author))
        note(found, key, BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN);
  }
}

BimiCautionMatch *
bimi_caution_check(const BimiCautionSet *set, const char *display_name, const char *author_domain,
                   gboolean dmarc_pass)
{
  g_autoptr(GHashTable) found = g_hash_table_new(NULL, NULL);
  BimiCautionMatch *m;
  Entry *best = NULL;
  guint best_bits = 0;
  GHashTableIter it;
  gpointer key, value;

  g_return_val_if_fail(set != NULL, NULL);
  if (set->entries->len == 0)
    return NULL;
  if (display_name != NULL && *display_name != '\0') {
    /* the part a reader sees: at most BIMI_CAUTION_MAX_TEXT_BYTES, cut at a character */
    gsize len = strlen(display_name);
    if (len > BIMI_CAUTION_MAX_TEXT_BYTES) {
      const char *end = g_utf8_find_prev_char(display_name, display_name + BIMI_CAUTION_MAX_TEXT_BYTES + 1);
      len = end != NULL ? (gsize) (end - display_name) : 0;
    }
    for (int pass = 0; pass < 2; pass++) {
      g_autoptr(GPtrArray) tokens = bimi_caution__tokens(display_name, len, pass == 1, NULL, NULL);
      match_tokens(set, tokens, found, BIMI_CAUTION_SIGNAL_DISPLAY_NAME);
      match_unspaced_runs(set, tokens, found, BIMI_CAUTION_SIGNAL_DISPLAY_NAME);
    }
  }
  if (author_domain != NULL && *author_domain != '\0')
    match_domain(set, author_domain, found);

  g_hash_table_iter_init(&it, found);
  while (g_hash_table_iter_next(&it, &key, &value)) {
    Entry *e = key;
    guint bits = GPOINTER_TO_UINT(value);
    gboolean both = bits == (BIMI_CAUTION_SIGNAL_DISPLAY_NAME | BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN);
    gboolean best_both = best_bits == (BIMI_CAUTION_SIGNAL_DISPLAY_NAME | BIMI_CAUTION_SIGNAL_LOOKALIKE_DOMAIN);
    /* authenticated as the brand: DMARC passed for a domain of its set */
    if (dmarc_pass && author_domain != NULL && entry_owns(e, author_domain))
      continue;
    if (best == NULL || (both && !best_both) ||
        (both == best_both && (strlen(e->key) > strlen(best->key) ||
                               (strlen(e->key) == strlen(best->key) && strcmp(e->key, best->key) < 0)))) {
      best = e;
      best_bits = bits;
    }
  }
  if (best == NULL)
    return NULL;
  m = g_new0(BimiCautionMatch, 1);
  m->brand = g_strdup(best->brand->name);
  m->domains = g_strdupv(best->brand->domains);
  m->signals = best_bits;
  m->matched = (best_bits & BIMI_CAUTION_SIGNAL_DISPLAY_NAME) ? g_strdup(display_name)
                                                               : bimi_domain_to_unicode(author_domain);
  m->text = g_strdup_printf("Claims to be %s \xe2\x80\x94 not verified", best->brand->name);
  return m;
}
