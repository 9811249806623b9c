/* engine/received.h — RFC 5321 §4.4 trace fields and the SMTP envelope they record.
 *
 * A Received field is written by each MTA that accepts the message:
 *
 *   Received: from <HELO> (<rDNS name> [<client IP>]) by <receiving host>
 *             with <protocol> id <queue id> for <recipient>; <date-time>
 *
 * bimi_received_parse() reads one such field value, tolerant of the forms the
 * common MTAs write (Postfix, Sendmail, Exim, qmail, Microsoft Exchange,
 * Gmail; "[IPv6:...]" literals, nested comments, missing clauses).
 * bimi_received_envelope() finds the hop where one of the operator's own
 * receivers ([auth] trusted_receivers) accepted the message and returns the
 * envelope of that SMTP transaction (client IP, HELO identity, MAIL FROM), so
 * that SPF and FCrDNS can be evaluated later, by a service that was not in the
 * SMTP session (issue 9, DESIGN.md §4 "Envelope").
 *
 * Only the fields at and above the trusted hop are read: everything below it
 * was written by hosts the operator does not control and may be forged.
 */
#ifndef BIMI_RECEIVED_H
#define BIMI_RECEIVED_H

#include <glib.h>
#include "engine/message.h"

G_BEGIN_DECLS

#define BIMI_RECEIVED_ERROR (bimi_received_error_quark())
GQuark bimi_received_error_quark(void);

/** Why a Received field (or the envelope) could not be read. Messages name the
 * byte offset in the field value, and bimi_received_envelope() prefixes them
 * with "Received field N (line L): ". */
typedef enum {
  /** Not a Received value we can read safely: an unterminated comment,
   * domain literal, angle-addr or quoted-string; a ')' ']' or '>' that closes
   * nothing; a control byte; 8-bit bytes that are not UTF-8 (RFC 6532); a
   * from/by clause without a value; a second from or by clause. Also a
   * Return-Path that is not a path (bimi_received_envelope()). */
  BIMI_RECEIVED_ERROR_SYNTAX,
  /** A limit of engine/limits.h (BIMI_RECEIVED_*) was hit; the message names it. */
  BIMI_RECEIVED_ERROR_LIMIT,
  /** The from clause's TCP-info names an address literal that is not an
   * IPv4 or IPv6 address ("[300.1.2.3]", "[IPv6:zz::1]"), or names two
   * different client addresses (a HELO crafted to look like TCP-info). */
  BIMI_RECEIVED_ERROR_ADDRESS,
} BimiReceivedError;

/**
 * BimiReceivedHop:
 *
 * What one Received field says about one hop. Plain data: every string is
 * owned by the struct, NUL-terminated, valid UTF-8, NULL when the field does
 * not say. Zero-initialise, fill with bimi_received_parse(), release with
 * bimi_received_hop_clear().
 */
typedef struct {
  /** The HELO/EHLO identity the client gave (RFC 5321 §4.1.1.1): a "helo=X"
   * or "HELO X" inside the from clause's comments (Exim, qmail) when present,
   * else the From-domain as written ("mail.example.com", "[192.0.2.1]"). */
  char *helo;
  /** The client's IP address from the TCP-info of the from clause (RFC 5321
   * §4.4: "(rdns [192.0.2.1])", "([IPv6:2001:db8::1])", Exchange's bare
   * "(192.0.2.1)", "(localhost[127.0.0.1])"); failing that, the From-domain
   * when it is itself an address literal (Exim's "from [192.0.2.1]
   * (helo=x)"). Validated with GInetAddress and written in its canonical
   * text form (IPv6 lower case, compressed); an IPv4-mapped IPv6 address
   * (::ffff:192.0.2.1) is given as the IPv4 address. */
  char *client_ip;
  /** The By-domain: the host that wrote the field, as written. */
  char *by_host;
  /** The With clause: the protocol ("ESMTP", "ESMTPS", "LMTP", "HTTP"...);
   * the words up to the next clause, joined by one space, so Exchange's
   * "Microsoft SMTP Server" stays whole. */
  char *with;
  /** The For clause: the recipient, angle brackets removed ("<a@b>" → "a@b"). */
  char *for_addr;
} BimiReceivedHop;

/**
 * bimi_received_parse:
 * @value: (array length=len): the field value after "Received:", untrusted,
 *   need not be NUL-terminated; may be folded (CRLF or LF + WSP)
 * @len: bytes of @value, at most BIMI_RECEIVED_MAX_BYTES
 * @out: (out caller-allocates): a zeroed hop, filled on success; left zeroed
 *   on failure. Free its strings with bimi_received_hop_clear().
 * @error: BIMI_RECEIVED_ERROR_SYNTAX, _LIMIT (BIMI_RECEIVED_MAX_BYTES,
 *   BIMI_RECEIVED_MAX_TOKENS, BIMI_RECEIVED_MAX_COMMENT_DEPTH), _ADDRESS;
 *   each message gives the byte offset in @value
 *
 * Parses the Stamp of RFC 5321 §4.4 (From-domain, By-domain, Via, With, ID,
 * For, additional clauses) with the general form of RFC 5322 §3.6.7
 * (received-token ... ";" date-time): clause keywords are matched case-
 * insensitively wherever they stand outside comments, comments nest, the
 * clauses may be missing ("Received: (qmail 123 invoked by uid 0); date"
 * parses, with every field NULL) and the date-time after the first ";" is not
 * read. Unknown clauses and words are skipped.
 *
 * The client address is looked for in every comment and bare address literal
 * between the From-domain and the next clause; the word after "helo=" or
 * "HELO" there is the HELO identity, not an address. When they hold two
 * different addresses the field is refused (BIMI_RECEIVED_ERROR_ADDRESS):
 * Postfix and Sendmail copy the HELO argument verbatim in front of their own
 * TCP-info, so a client could otherwise plant "(x [198.51.100.1])" there.
 * A literal that is not an address at all ("[mail.example]") is ignored.
 *
 * Returns: TRUE and @out filled, or FALSE with @error set.
 */
gboolean bimi_received_parse(const char *value, gsize len, BimiReceivedHop *out, GError **error);

/** bimi_received_hop_clear: frees the strings of @hop and zeroes it; @hop itself is not freed. */
void bimi_received_hop_clear(BimiReceivedHop *hop);

/**
 * bimi_received_envelope:
 * @msg: the message (transfer none)
 * @trusted_receivers: (array zero-terminated=1) (nullable): host names of the
 *   operator's receiving MTAs ([auth] trusted_receivers); NULL or empty = none
 * @out_ip: (out) (transfer full): the client IP address of the trusted hop
 *   (canonical text, see BimiReceivedHop.client_ip), or NULL when that hop
 *   records none (local submission)
 * @out_helo: (out) (transfer full): the HELO identity of the trusted hop, or NULL
 * @out_mail_from: (out) (transfer full): the MAIL FROM address (RFC 5321
 *   §4.1.1.2 reverse-path without its angle brackets; "" for the null
 *   reverse-path "<>"), or NULL when unknown
 * @error: the errors of bimi_received_parse() for a Received field at or above
 *   the trusted hop, prefixed "Received field N (line L): "; BIMI_RECEIVED_ERROR_LIMIT
 *   when more than BIMI_RECEIVED_MAX_HOPS Received fields precede the trusted
 *   hop; BIMI_RECEIVED_ERROR_SYNTAX for a Return-Path above the trusted hop
 *   that is not a path, or _LIMIT when it is longer than BIMI_RECEIVED_MAX_PATH_BYTES
 *
 * The SMTP envelope as the operator's own MX saw it (RFC 5321 §4.4). Walks
 * the Received fields from the top of the message down and stops at the
 * first one whose By-domain equals one of @trusted_receivers (ASCII case-
 * insensitively, one trailing root dot ignored on either side; no suffix or
 * wildcard match): that hop's client IP and HELO are the envelope. Every
 * Received field above it (written by the operator's internal hops) must
 * parse — an unreadable one might be the trusted hop itself, so the walk
 * fails rather than skip it and trust a field further down that the sender
 * may have written.
 *
 * MAIL FROM is the reverse-path of the topmost Return-Path field (RFC 5321
 * §4.4: added by the final delivery) when that field is above the trusted hop;
 * a Return-Path below it came with the message and is not used. The path is
 * unquoted of its angle brackets; a source route ("<@a,@b:u@d>", RFC 5321
 * §4.1.2 obsolete) is dropped; CFWS around it is ignored.
 *
 * Returns: TRUE with the outputs set when a trusted hop exists; FALSE with
 * every output NULL and @error unset when none does (or @trusted_receivers is
 * empty); FALSE with @error set when the envelope cannot be read safely.
 */
gboolean bimi_received_envelope(const BimiMessage *msg, const char *const *trusted_receivers,
                                char **out_ip, char **out_helo, char **out_mail_from, GError **error);

G_END_DECLS

#endif /* BIMI_RECEIVED_H */
