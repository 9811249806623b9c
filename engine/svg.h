/* engine/svg.h — SVG Tiny Portable/Secure (SVG Tiny PS) validation of BIMI
 * indicators (spec/bimi-receiver.md §6; draft-svg-tiny-ps-abrotman as
 * expressed by the BIMI Group RelaxNG schema; RFC 6170 §5.2).
 *
 * One call takes the logo bytes (uncompressed SVG; the fetcher gunzips SVGZ)
 * and returns a verdict as plain data: valid or not, every violation with its
 * line and a stable code, warnings apart, and the <title> text (the logo's
 * alt text). A GError means only "could not evaluate" (the shipped schema
 * does not compile, libxml2 could not allocate a context).
 *
 * Thread-safe: any number of threads may validate at once. libxml2 is
 * initialised and the schema compiled once per process (g_once); each call
 * has its own parser and validation contexts, and the per-thread libxml2
 * error handlers are restored before it returns (nothing is ever printed).
 */
#ifndef BIMI_SVG_H
#define BIMI_SVG_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_SVG_ERROR (bimi_svg_error_quark())
GQuark bimi_svg_error_quark(void);

/** Why a logo could not be evaluated at all (never "the logo is bad": that is a result). */
typedef enum {
  BIMI_SVG_ERROR_SCHEMA,   /**< the embedded RelaxNG schema did not compile (a build defect) */
  BIMI_SVG_ERROR_INTERNAL, /**< libxml2 failed to set up or run a parser/validator */
} BimiSvgError;

/* ---- stable violation codes ----------------------------------------------
 * Errors make a logo invalid; warnings never do. The strings are API: the CLI
 * and the service print them, tests assert them. */

/* errors: before or while parsing */
#define BIMI_SVG_CODE_TOO_LARGE        "too-large"        /**< > BIMI_SVG_MAX_BYTES (draft §2.4); nothing parsed */
#define BIMI_SVG_CODE_NOT_XML          "not-xml"          /**< not well-formed XML (libxml2's message); also gzip input */
#define BIMI_SVG_CODE_TOO_DEEP         "too-deep"         /**< element nesting > BIMI_SVG_MAX_DEPTH */
#define BIMI_SVG_CODE_TOO_MANY_NODES   "too-many-nodes"   /**< > BIMI_SVG_MAX_NODES elements/comments/PIs/CDATA */
#define BIMI_SVG_CODE_DOCTYPE_ENTITY   "doctype-entity"   /**< DOCTYPE declares an entity (§6 rule 12) */
#define BIMI_SVG_CODE_DOCTYPE_SUBSET   "doctype-subset"   /**< DOCTYPE internal subset declares elements/attributes/notations */
/* errors: the profile rules the schema cannot express (§6 rules 1–4, 6, 8) */
#define BIMI_SVG_CODE_NOT_SVG          "not-svg"          /**< root is not <svg> in the SVG namespace */
#define BIMI_SVG_CODE_VERSION          "version"          /**< root version missing or not "1.2" */
#define BIMI_SVG_CODE_BASE_PROFILE     "base-profile"     /**< root baseProfile missing or not "tiny-ps" */
#define BIMI_SVG_CODE_ROOT_X_Y         "root-x-y"         /**< x or y attribute on the root */
#define BIMI_SVG_CODE_TITLE_MISSING    "title-missing"    /**< no <title> child of the root */
#define BIMI_SVG_CODE_TITLE_NOT_FIRST  "title-not-first"  /**< <title> is not the root's first child element */
#define BIMI_SVG_CODE_TITLE_EMPTY      "title-empty"      /**< <title> empty or only white space */
#define BIMI_SVG_CODE_TITLE_DUPLICATE  "title-duplicate"  /**< more than one <title> child of the root */
#define BIMI_SVG_CODE_SCRIPT           "script"           /**< script, handler, listener (SVG Tiny 1.2 §15) */
#define BIMI_SVG_CODE_ANIMATION        "animation"        /**< animate, set, animateMotion/Color/Transform, discard, animation */
#define BIMI_SVG_CODE_LINK             "link"             /**< <a> */
#define BIMI_SVG_CODE_IMAGE            "image"            /**< <image> (no raster, draft §2.3) */
#define BIMI_SVG_CODE_MEDIA            "media"            /**< <audio>, <video> */
#define BIMI_SVG_CODE_FOREIGN_OBJECT   "foreign-object"   /**< <foreignObject> */
#define BIMI_SVG_CODE_STYLE            "style"            /**< <style>, a style attribute, an xml-stylesheet PI */
#define BIMI_SVG_CODE_EVENT_ATTRIBUTE  "event-attribute"  /**< on* attribute */
#define BIMI_SVG_CODE_EXTERNAL_REF     "external-reference" /**< href/xlink:href/url() not "#fragment"; XInclude */
/* errors: the RelaxNG schema */
#define BIMI_SVG_CODE_SCHEMA           "schema"           /**< one RelaxNG error, libxml2's message */

/* warnings */
#define BIMI_SVG_CODE_DOCTYPE          "doctype"          /**< a DOCTYPE without declarations; its DTD is not loaded */
#define BIMI_SVG_CODE_XLINK_HREF       "xlink-href"       /**< <use xlink:href="#id"> accepted as href (decision, svg.c) */
#define BIMI_SVG_CODE_VIEWBOX_MISSING  "viewbox-missing"  /**< no viewBox on the root (square one recommended, §6 rule 11) */
#define BIMI_SVG_CODE_NOT_SQUARE       "not-square"       /**< viewBox width != height (§6 rule 11) */
#define BIMI_SVG_CODE_TITLE_LONG       "title-long"       /**< title longer than BIMI_SVG_TITLE_RECOMMENDED_CHARS */
#define BIMI_SVG_CODE_XML_WARNING      "xml-warning"      /**< a libxml2 parser warning (e.g. relative namespace URI) */

/** One violation. */
typedef struct {
  const char *code; /**< one of BIMI_SVG_CODE_*, static (transfer none) */
  guint line;       /**< 1-based line in the input; 0 when it concerns the whole document */
  char *message;    /**< valid UTF-8, owned; may quote attacker text (escape it for terminals/logs) */
} BimiSvgIssue;

/** The verdict on one logo. Plain data; free with bimi_svg_result_free(). */
typedef struct {
  gboolean valid;      /**< TRUE iff errors is empty */
  GPtrArray *errors;   /**< of BimiSvgIssue*, ordered by line (stable), owned */
  GPtrArray *warnings; /**< of BimiSvgIssue*, ordered by line (stable), owned */
  gboolean truncated;  /**< more than BIMI_SVG_MAX_ISSUES errors or warnings: the rest were dropped */
  char *title;         /**< text of the root's first <title> child, white space trimmed, UTF-8;
                        *   NULL when there is none (or the document did not parse). Owned. */
  gsize size;          /**< input size in bytes */
} BimiSvgResult;

/**
 * bimi_svg_init:
 * @error: BIMI_SVG_ERROR_SCHEMA when the embedded schema does not compile.
 *
 * Initialises libxml2 and compiles the embedded schema now instead of on the
 * first bimi_svg_validate() (a service calls it at start-up). Idempotent and
 * thread-safe; the compiled schema lives until the process exits.
 * Returns: TRUE on success.
 */
gboolean bimi_svg_init(GError **error);

/**
 * bimi_svg_validate:
 * @svg: the uncompressed SVG bytes, any length (need not be NUL-terminated).
 * @error: BIMI_SVG_ERROR_SCHEMA or BIMI_SVG_ERROR_INTERNAL only.
 *
 * Applies spec §6 in this order: size (> BIMI_SVG_MAX_BYTES → "too-large",
 * nothing parsed); libxml2 parse from memory without network, DTD loading,
 * entity substitution or XInclude, refusing entity and other markup
 * declarations, bounded by BIMI_SVG_MAX_DEPTH and BIMI_SVG_MAX_NODES (each a
 * single error that ends the evaluation); then the profile rules the schema
 * cannot express and the RelaxNG schema, all of whose violations are
 * collected (at most BIMI_SVG_MAX_ISSUES of each kind).
 *
 * Returns: (transfer full) the verdict, or NULL with @error set.
 */
BimiSvgResult *bimi_svg_validate(GBytes *svg, GError **error);

/** bimi_svg_result_free: frees @result with its issues and title. NULL is ignored. */
void bimi_svg_result_free(BimiSvgResult *result);

/**
 * bimi_svg_result_has_error:
 * @result: a verdict. @code: a BIMI_SVG_CODE_* string.
 * Returns: TRUE when @result lists an error with that code.
 */
gboolean bimi_svg_result_has_error(const BimiSvgResult *result, const char *code);

/** bimi_svg_result_has_warning: as bimi_svg_result_has_error(), for warnings. */
gboolean bimi_svg_result_has_warning(const BimiSvgResult *result, const char *code);

/**
 * bimi_svg_get_schema:
 * Returns: (transfer full) the embedded RelaxNG schema bytes (static storage,
 * data/schema/SVG_PS-latest.rng byte for byte).
 */
GBytes *bimi_svg_get_schema(void);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiSvgResult, bimi_svg_result_free)

G_END_DECLS

#endif /* BIMI_SVG_H */
