/* engine/message.h — the raw message: header index and RFC5322.From.
 *
 * bimi_message_parse() indexes the header section of a raw RFC 5322 message
 * (RFC 5322 §2.1, §2.2, §3.6, obsolete syntax §4.5) without copying or
 * rewriting it, so that DKIM and ARC can hash exactly the bytes that arrived.
 *
 * Line endings. Input may use CRLF, bare LF, or a mix. The parser keeps the
 * input (the "raw" GBytes, shared, never copied) and also builds, only when
 * needed, the *canonical* form of the message: the same bytes with every bare
 * LF turned into CRLF, as an MTA does when it receives the message over SMTP
 * (RFC 5321 §2.3.8). When the input is already pure CRLF the canonical GBytes
 * IS the raw GBytes (same object, no copy).
 *
 *   ALL OFFSETS AND POINTERS OF THE INDEX (BimiHeaderField, the body) REFER
 *   TO THE CANONICAL BUFFER (bimi_message_get_canonical()), NOT TO THE RAW
 *   INPUT. Each field also records where it sits in the raw input
 *   (raw_offset/raw_length) for error reports and tools.
 *
 * In the canonical buffer every header field ends with exactly one CRLF: a
 * message that ends inside its header section without a final line break gets
 * one CRLF appended (SMTP DATA cannot carry such a message either). The body is
 * never extended: a body without a final CRLF stays so (RFC 6376 §3.4.3 and
 * §3.4.4 say how DKIM treats that). A bare CR (not followed by LF) is data and
 * is kept as-is, in header values and in the body; a lone CR at the very end
 * of a message that has no body is read as its final line break.
 *
 * So for DKIM (RFC 6376 §3.4): the "simple" form of field i is the @field_length
 * bytes at @field; the body is bimi_message_get_body(); both already in CRLF.
 *
 * The From parser (RFC 5322 §3.4 with the obsolete forms of §4.4, RFC 2047
 * encoded words in display names, RFC 6532 UTF-8, IDNA via libidn2) lives in
 * engine/message-address.c and is declared here: it is part of this module.
 *
 * Thread-safety: a BimiMessage is immutable after parsing; it may be read from
 * several threads at once.
 */
#ifndef BIMI_MESSAGE_H
#define BIMI_MESSAGE_H

#include <glib.h>

G_BEGIN_DECLS

#define BIMI_MESSAGE_ERROR (bimi_message_error_quark())
GQuark bimi_message_error_quark(void);

/** Why a message or an address list could not be used. */
typedef enum {
  /** The header section does not parse: a line without a colon, a first line
   * that is a continuation, a bad byte in a field name. The message names the
   * line (1-based) and the byte offset in the RAW input. */
  BIMI_MESSAGE_ERROR_SYNTAX,
  /** A limit of engine/limits.h was hit; the message names the limit
   * (e.g. "BIMI_MAX_HEADER_FIELDS"), the line and the offset. */
  BIMI_MESSAGE_ERROR_LIMIT,
  /** An address list (From:) does not parse; the message says what was
   * expected and at which offset of the field value. */
  BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX,
} BimiMessageError;

/** The parsed message. Opaque; free with bimi_message_free(). */
typedef struct _BimiMessage BimiMessage;

/**
 * BimiHeaderField:
 *
 * One header field (RFC 5322 §2.2). Offsets and lengths are in bytes in the
 * CANONICAL (CRLF) buffer; the pointers point into that buffer (transfer none,
 * valid while the message lives) and are NOT NUL-terminated.
 *
 *   field_offset                         field_offset + field_length
 *   v                                    v
 *   Subject  : hello\r\n world\r\n
 *   ^name^^^   ^value^^^^^^^^^^^^        (value: after the colon, up to but
 *                                         excluding the final CRLF)
 *
 * The name excludes any WSP between it and the colon (the obsolete form of
 * RFC 5322 §4.5, "Subject  :"; it is accepted). The value keeps everything
 * after the colon: leading WSP, folding CRLFs, 8-bit bytes. The field is the
 * whole field from the first byte of its name to the end of its final CRLF.
 */
typedef struct {
  gsize field_offset;    /**< first byte of the field (== name_offset) */
  gsize field_length;    /**< whole field incl. folding and the final CRLF */
  gsize name_offset;     /**< first byte of the name */
  gsize name_length;     /**< the name, without WSP before the colon */
  gsize value_offset;    /**< the byte after the colon */
  gsize value_length;    /**< up to, excluding, the final CRLF */
  const char *field;     /**< canonical + field_offset */
  const char *name;      /**< canonical + name_offset */
  const char *value;     /**< canonical + value_offset */
  guint line;            /**< 1-based line number of the field's first line */
  guint n_lines;         /**< physical lines (1 + folds) */
  gsize raw_offset;      /**< first byte of the field in the raw input */
  gsize raw_length;      /**< the field in the raw input, incl. its line break(s) as they were */
} BimiHeaderField;

/**
 * bimi_message_parse:
 * @raw: the message as received (untrusted): header section, optionally an
 *       empty line and the body; LF, CRLF or mixed line endings; at most
 *       BIMI_MAX_MESSAGE_BYTES bytes. A reference is taken (transfer none).
 * @error: BIMI_MESSAGE_ERROR_SYNTAX (line without a colon; a first line that
 *       starts with WSP; an empty field name or a byte outside %d33-126 in a
 *       field name; an mbox "From " separator line, which is not RFC 5322),
 *       BIMI_MESSAGE_ERROR_LIMIT (BIMI_MAX_MESSAGE_BYTES, BIMI_MAX_HEADER_FIELDS,
 *       BIMI_MAX_HEADER_FIELD_BYTES, BIMI_MAX_HEADER_LINE_BYTES). Errors give
 *       the 1-based line and the byte offset in @raw.
 *
 * Indexes the header fields (RFC 5322 §2.2, §3.6, §4.5 obs-fold and WSP
 * before the colon). The header section ends at the first empty line, whose
 * line break is not part of any field; the body starts right after it. A
 * message without an empty line has no body (bimi_message_has_body_separator()
 * is FALSE). A message that starts with an empty line has no header fields.
 * A line that holds only WSP is a continuation (obs-FWS), not the separator.
 * Bytes 0x80-0xFF and control bytes in values are kept as they are (RFC 6532).
 *
 * Returns: (transfer full): the message, or NULL with @error set.
 */
BimiMessage *bimi_message_parse(GBytes *raw, GError **error);

void bimi_message_free(BimiMessage *msg);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiMessage, bimi_message_free)

/** Returns: (transfer none): the input exactly as given to bimi_message_parse(). */
GBytes *bimi_message_get_raw(const BimiMessage *msg);

/**
 * bimi_message_get_canonical:
 *
 * Returns: (transfer none): the message with CRLF line endings, which every
 * offset of the index refers to. The same object as bimi_message_get_raw()
 * when the input needed no change (bimi_message_was_normalised() is FALSE).
 */
GBytes *bimi_message_get_canonical(const BimiMessage *msg);

/** TRUE when the canonical buffer differs from the raw input (bare LFs
 * turned into CRLF, or a final CRLF added after the header section). */
gboolean bimi_message_was_normalised(const BimiMessage *msg);

/** Number of header fields, in message order (0 .. BIMI_MAX_HEADER_FIELDS). */
guint bimi_message_get_n_fields(const BimiMessage *msg);

/**
 * bimi_message_get_field:
 * @index: 0 .. bimi_message_get_n_fields() - 1 (programmer error otherwise)
 *
 * Returns: (transfer none): field number @index, top of the message first.
 */
const BimiHeaderField *bimi_message_get_field(const BimiMessage *msg, guint index);

/**
 * bimi_message_find_fields:
 * @name: a field name, compared ASCII case-insensitively (RFC 5322 §1.2.2)
 *
 * Returns: (transfer full) (element-type guint): the indexes of every field
 * named @name, top of the message first; empty (not NULL) when there is none.
 */
GArray *bimi_message_find_fields(const BimiMessage *msg, const char *name);

/** How many fields are named @name (ASCII case-insensitive). */
guint bimi_message_count_fields(const BimiMessage *msg, const char *name);

/**
 * bimi_message_get_body:
 * @out_len: (out): bytes of body, 0 when there is none
 *
 * Returns: (transfer none): the body in the canonical (CRLF) buffer, i.e. the
 * bytes after the empty line that ends the header section; not NUL-terminated.
 * Never NULL (points at the end of the buffer when there is no body).
 */
const guint8 *bimi_message_get_body(const BimiMessage *msg, gsize *out_len);

/** Offset of the body in the canonical buffer; == its size when there is no
 * separator line. */
gsize bimi_message_get_body_offset(const BimiMessage *msg);

/** TRUE when the header section was ended by an empty line (a body, maybe
 * empty, follows); FALSE when the message is all header. */
gboolean bimi_message_has_body_separator(const BimiMessage *msg);

/** TRUE when @field's name equals @name, ASCII case-insensitively. */
gboolean bimi_header_field_has_name(const BimiHeaderField *field, const char *name);

/**
 * bimi_header_field_dup_unfolded_value:
 * @field: a field of a message
 * @out_len: (out) (optional): length of the result in bytes, without the NUL
 *
 * Unfolds the value (RFC 5322 §2.2.3: every CRLF of the value is a fold and is
 * removed; the WSP after it stays) and strips the WSP at both ends. Other
 * bytes, 8-bit or control, are kept, so the result may hold NULs: use @out_len.
 *
 * Returns: (transfer full): a new NUL-terminated string.
 */
char *bimi_header_field_dup_unfolded_value(const BimiHeaderField *field, gsize *out_len);

/* ---- addresses (engine/message-address.c) ------------------------------------- */

/**
 * BimiMailbox:
 *
 * One mailbox of an address list (RFC 5322 §3.4). Plain data, every string
 * owned by the struct, UTF-8, NUL-terminated.
 */
typedef struct {
  /** The display name, unquoted, RFC 2047 encoded words decoded to UTF-8
   * (an encoded word that cannot be decoded is kept as written), words joined
   * by one space; invalid UTF-8 replaced by U+FFFD. NULL when absent or empty. */
  char *display_name;
  /** The local part as its content: quotes removed, quoted-pairs resolved,
   * CFWS of the obsolete form dropped ("a"."b" and a.b both give "a.b").
   * May be empty (""@example.com). Valid UTF-8 (RFC 6532). Never NULL. */
  char *local_part;
  /** The domain in ASCII: lower case, IDN labels as A-labels (libidn2, UTS #46
   * non-transitional, transitional only as a fallback), or a domain literal
   * with its brackets ("[192.0.2.1]"). NULL when the address has no domain
   * ("<postmaster>", "From: root"). At most 253 bytes. */
  char *domain;
  /** The same domain with U-labels (UTF-8); equal to @domain when it has no
   * A-label or is a literal; NULL iff @domain is NULL. */
  char *domain_utf8;
  /** Name of the group (RFC 5322 §3.4 "group") the mailbox was listed in,
   * decoded like @display_name; NULL outside a group. */
  char *group;
  /** TRUE when @domain is a domain literal ("[...]"). */
  gboolean domain_is_literal;
} BimiMailbox;

void bimi_mailbox_free(BimiMailbox *mailbox);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiMailbox, bimi_mailbox_free)

/**
 * bimi_message_parse_address_list:
 * @text: (array length=len): an address-list field value, as it is in the
 *        canonical message (folds are CRLF + WSP); untrusted, need not be
 *        NUL-terminated
 * @len: bytes of @text, at most BIMI_MAX_HEADER_FIELD_BYTES
 * @error: BIMI_MESSAGE_ERROR_ADDRESS_SYNTAX (with the offset in @text),
 *        BIMI_MESSAGE_ERROR_LIMIT (BIMI_MAX_HEADER_FIELD_BYTES,
 *        BIMI_MAX_ADDRESSES, BIMI_MAX_DISPLAY_NAME_BYTES,
 *        BIMI_MAX_ADDRESS_COMMENT_DEPTH)
 *
 * Parses an RFC 5322 §3.4 address-list, with the obsolete forms of §4.4
 * (empty list elements, obs-route "<@a,@b:user@c>" whose route is dropped,
 * CFWS around dots, obs-phrase with dots, obs-local-part, obs-domain),
 * comments (nested) wherever CFWS may stand, groups (the mailboxes of
 * "Name: a@b, c@d;" carry the group name; an empty group adds none).
 * Deliberate leniency: a local part may have empty dot-separated parts
 * ("a..b@example.jp", seen in the wild), and an address without a domain
 * (a bare local part, or "<local>") is returned with @domain NULL; callers
 * that need a domain (DMARC) must check.
 *
 * Returns: (transfer full) (element-type BimiMailbox): every mailbox in order,
 * possibly none (an empty value or only empty groups); NULL with @error set.
 */
GPtrArray *bimi_message_parse_address_list(const char *text, gsize len, GError **error);

/**
 * bimi_message_get_from_mailboxes:
 * @n_from_fields: (out) (optional): how many From fields the message has
 *        (set even on error)
 * @error: the errors of bimi_message_parse_address_list(), prefixed with
 *        "From field N (line L): "; BIMI_MESSAGE_ERROR_LIMIT when all From
 *        fields together list more than BIMI_MAX_ADDRESSES mailboxes
 *
 * Parses every From field (RFC 5322 §3.6.2; a group is accepted and reported
 * through BimiMailbox.group) and returns their mailboxes concatenated, in
 * order. DMARC wants exactly one From field holding exactly one mailbox
 * (RFC 7489 §6.6.1): check *@n_from_fields == 1 and the array length == 1.
 *
 * Returns: (transfer full) (element-type BimiMailbox): the mailboxes, empty
 * when there is no From field; NULL with @error set when a From field does
 * not parse.
 */
GPtrArray *bimi_message_get_from_mailboxes(const BimiMessage *msg, guint *n_from_fields, GError **error);

G_END_DECLS

#endif /* BIMI_MESSAGE_H */
