/* engine/authres.h — RFC 8601 Authentication-Results: write and parse.
 *
 * The engine writes one Authentication-Results value for a whole evaluation
 * (rdns as iprev, spf, dkim, arc, dmarc, bimi), and parses others — its own
 * MTA's, ARC-Authentication-Results payloads — into the same plain data.
 *
 *   BimiAuthres             authserv-id [version] ; resinfo ; resinfo ...
 *    └ BimiAuthresResult    method[/version]=result [reason="..."] props...
 *       └ BimiAuthresProperty   ptype.property=value
 *
 * All three are plain data: fields may be read directly; build them with the
 * _new/_add functions so that ownership stays consistent (every string and
 * array is owned by its parent and freed with it). A property's strings and a
 * result's method and result share their struct's allocation: read them, never
 * free or replace them (the reason is set with bimi_authres_result_set_reason()).
 */
#ifndef BIMI_AUTHRES_H
#define BIMI_AUTHRES_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_AUTHRES_ERROR (bimi_authres_error_quark())
GQuark bimi_authres_error_quark(void);

/** Why an Authentication-Results field could not be parsed. Messages name the byte offset. */
typedef enum {
  BIMI_AUTHRES_ERROR_SYNTAX, /**< not an RFC 8601 §2.2 authres-payload */
  BIMI_AUTHRES_ERROR_LIMIT,  /**< BIMI_MAX_AUTHRES_* or BIMI_MAX_COMMENT_DEPTH exceeded */
} BimiAuthresError;

/** ptype.property=value (RFC 8601 §2.3). */
typedef struct {
  char *ptype; /**< "smtp", "header", "body", "policy", ...; lower case when parsed */
  char *name;  /**< the property: "mailfrom", "d", "from", ...; lower case when parsed */
  char *value; /**< as written, unquoted; never NULL */
} BimiAuthresProperty;

/** One resinfo: method[/version]=result [reason] properties (RFC 8601 §2.2). */
typedef struct {
  char *method;         /**< "dkim", "spf", ...; lower case when parsed */
  int method_version;   /**< -1 when absent (RFC 8601 §2.2 method-version) */
  char *result;         /**< "pass", "fail", ...; lower case when parsed */
  char *reason;         /**< reasonspec value, unquoted; NULL when absent */
  GPtrArray *properties; /**< of BimiAuthresProperty*, in order; owned */
} BimiAuthresResult;

/** A whole Authentication-Results value. No result at all is written "; none". */
typedef struct {
  char *authserv_id;  /**< RFC 8601 §2.5; as written, unquoted */
  int version;        /**< authres-version, -1 when absent */
  GPtrArray *results; /**< of BimiAuthresResult*, in order; owned */
} BimiAuthres;

/* ---- building ----------------------------------------------------------- */

/**
 * bimi_authres_new:
 * @authserv_id: non-empty authserv-id (RFC 8601 §2.5), copied.
 * Returns: (transfer full) an A-R with version -1 and no results.
 */
BimiAuthres *bimi_authres_new(const char *authserv_id);
/** bimi_authres_free: frees @ar with all its results. NULL is ignored. */
void bimi_authres_free(BimiAuthres *ar);

/**
 * bimi_authres_result_new:
 * @method: non-empty method name (an RFC 8601 Keyword: letters, digits, "-"), copied.
 * @result: non-empty result keyword ("pass", "fail", ...), copied.
 * Returns: (transfer full) a result with method_version -1, no reason, no property.
 */
BimiAuthresResult *bimi_authres_result_new(const char *method, const char *result);
/** bimi_authres_result_free: frees @r with its properties. NULL is ignored. */
void bimi_authres_result_free(BimiAuthresResult *r);

/**
 * bimi_authres_property_new:
 * @ptype, @name: non-empty Keywords, copied. @value: any string (may be ""), copied.
 * Returns: (transfer full) the property.
 */
BimiAuthresProperty *bimi_authres_property_new(const char *ptype, const char *name,
                                               const char *value);
/** bimi_authres_property_free: NULL is ignored. */
void bimi_authres_property_free(BimiAuthresProperty *p);

/**
 * bimi_authres_add_result:
 * Appends bimi_authres_result_new(@method, @result) to @ar.
 * Returns: (transfer none) the new result, owned by @ar, for adding a reason and properties.
 */
BimiAuthresResult *bimi_authres_add_result(BimiAuthres *ar, const char *method,
                                           const char *result);

/** bimi_authres_result_set_reason: sets (copies) or, with NULL, clears the reason of @r. */
void bimi_authres_result_set_reason(BimiAuthresResult *r, const char *reason);

/**
 * bimi_authres_result_add_property:
 * Appends bimi_authres_property_new(@ptype, @name, @value) to @r, e.g.
 * (r, "header", "d", "example.com") for header.d=example.com.
 * Returns: (transfer none) the new property, owned by @r.
 */
BimiAuthresProperty *bimi_authres_result_add_property(BimiAuthresResult *r, const char *ptype,
                                                      const char *name, const char *value);

/* ---- reading ------------------------------------------------------------ */

/**
 * bimi_authres_find_result:
 * @method: compared ASCII-case-insensitively.
 * Returns: (transfer none) the first result of that method, or NULL.
 */
const BimiAuthresResult *bimi_authres_find_result(const BimiAuthres *ar, const char *method);

/**
 * bimi_authres_result_get_property:
 * @ptype, @name: compared ASCII-case-insensitively.
 * Returns: (transfer none) the value of the first such property, or NULL.
 */
const char *bimi_authres_result_get_property(const BimiAuthresResult *r, const char *ptype,
                                             const char *name);

/**
 * bimi_authres_equal:
 * Structural equality: authserv-id, version, and every result's method,
 * method_version, result, reason (NULL differs from "") and properties in
 * order, all strings compared exactly (byte for byte). Two NULLs are equal.
 */
gboolean bimi_authres_equal(const BimiAuthres *a, const BimiAuthres *b);

/* ---- writing (RFC 8601 §2.2) -------------------------------------------- */

/**
 * bimi_authres_to_string:
 *
 * Writes the field value (no field name, no CRLF) on one line, unfolded:
 *   "authserv-id[ version]; method[/v]=result[ reason="..."][ ptype.prop=value]...; ..."
 * or "authserv-id; none" when there is no result. Folding is left to the
 * caller (a header writer may fold at any of the spaces).
 *
 * The authserv-id is written bare when it is an RFC 2045 token, else quoted.
 * A property value is written bare when it is an RFC 2045 token or an
 * "[ [ local-part ] "@" ] domain-name" (RFC 8601 §2.2 pvalue), else as a
 * quoted-string; the reason is always quoted (as in RFC 8601 Appendix B).
 * Inside quoted-strings '"' and '\' are escaped; bytes that no header may
 * carry (controls other than HTAB, and 8-bit bytes unless the string is
 * valid UTF-8, RFC 6532) are replaced by '?'. Bytes of method, result, ptype
 * and property names other than letters, digits and '-' are replaced by '-',
 * so that no input can inject a header line. Output always parses back with
 * bimi_authres_parse().
 *
 * Returns: (transfer full) the NUL-terminated value.
 */
char *bimi_authres_to_string(const BimiAuthres *ar);

/** bimi_authres_to_header: "Authentication-Results: " + bimi_authres_to_string(). (transfer full) */
char *bimi_authres_to_header(const BimiAuthres *ar);

/* ---- parsing (RFC 8601 §2.2) -------------------------------------------- */

/**
 * bimi_authres_parse:
 * @value: the field value (after "Authentication-Results:"), untrusted, not
 *   necessarily NUL-terminated; may be folded (CRLF + WSP) and may end with one CRLF.
 * @len: bytes in @value, at most BIMI_MAX_AUTHRES_BYTES.
 * @error: BIMI_AUTHRES_ERROR_SYNTAX or _LIMIT, with the byte offset into @value.
 *
 * Parses an RFC 8601 authres-payload. CFWS (nested comments, folding) is
 * accepted wherever the grammar allows it and dropped. Method, result, ptype
 * and property names are lower-cased; values keep their case and are unquoted.
 * Unknown methods, results and ptypes are kept (§2.7.6, §2.3).
 * Deliberate leniencies (real MTAs write these):
 *  - '/' inside bare values (base64 header.b=Qgi/FoC0);
 *  - a "name=value" without "ptype." among the properties is parsed and
 *    dropped (as the authres reference does), except "reason" which may also
 *    come after properties;
 *  - one ";" after the last resinfo (never after the authserv-id alone:
 *    "example.com;" is an error, §2.2 requires "; none");
 *  - LF + WSP folding as well as CRLF + WSP.
 * Rejected: an empty authserv-id, ':' and other specials in bare values
 * (IPv6 must be quoted), a missing "=result", a second reason, 8-bit bytes
 * outside quoted-strings and comments or not valid UTF-8, controls, and a
 * quoted local-part in a pvalue ("john doe"@example.com; not supported).
 *
 * Returns: (transfer full) the parsed A-R, or NULL with @error set.
 */
BimiAuthres *bimi_authres_parse(const char *value, gsize len, GError **error);

/**
 * bimi_authres_parse_field:
 * @field: a whole header field "Authentication-Results: value" (the name is
 *   matched ASCII-case-insensitively, WSP before ':' tolerated), untrusted.
 * @len: bytes in @field.
 * @error: as bimi_authres_parse(); offsets count from the start of @field.
 *   A field of another name is BIMI_AUTHRES_ERROR_SYNTAX.
 *
 * Returns: (transfer full) the parsed A-R, or NULL with @error set.
 */
BimiAuthres *bimi_authres_parse_field(const char *field, gsize len, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiAuthres, bimi_authres_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiAuthresResult, bimi_authres_result_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiAuthresProperty, bimi_authres_property_free)

G_END_DECLS

#endif /* BIMI_AUTHRES_H */
