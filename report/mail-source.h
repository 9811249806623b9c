/* report/mail-source.h — read messages and files from an mbox, a Maildir or a directory tree, streaming.
 *
 * The input side of `bimi report ingest` (issue 16) and of the mailbox survey
 * (issue 17). A path is opened as:
 *   - an mbox file (it starts with "From "): its messages, one at a time
 *     (RFC 4155 From_ lines; mboxrd ">From " quoting undone);
 *   - a Maildir (a directory with cur/ and new/): every file of new/ then cur/;
 *   - another directory: every entry in name order, recursively (at most
 *     BIMI_MAIL_SOURCE_MAX_DIR_DEPTH levels; dot-files, symbolic links and special
 *     files skipped), each file read as in this list (so a directory of mbox
 *     files gives their messages);
 *   - any other file: one item, its whole content.
 * Nothing is read ahead: the mailbox is never held in memory, only the item
 * being returned (at most BIMI_MAIL_SOURCE_MAX_ITEM_BYTES; a larger one is returned
 * as an item with an error and skipped, and reading goes on with the next).
 */
#ifndef BIMI_REPORT_MAIL_SOURCE_H
#define BIMI_REPORT_MAIL_SOURCE_H

#include <gio/gio.h>
#include <glib.h>

G_BEGIN_DECLS

#define BIMI_MAIL_SOURCE_ERROR (bimi_mail_source_error_quark())
GQuark bimi_mail_source_error_quark(void);

typedef enum {
  BIMI_MAIL_SOURCE_ERROR_IO,     /**< a file or directory cannot be opened or read (the OS message) */
  BIMI_MAIL_SOURCE_ERROR_LIMIT,  /**< an item over BIMI_MAIL_SOURCE_MAX_ITEM_BYTES, a directory deeper than BIMI_MAIL_SOURCE_MAX_DIR_DEPTH */
} BimiMailSourceError;

typedef enum {
  BIMI_MAIL_SOURCE_ITEM_FILE,     /**< a whole file (given, or found in a directory) */
  BIMI_MAIL_SOURCE_ITEM_MBOX,     /**< one message of an mbox file */
  BIMI_MAIL_SOURCE_ITEM_MAILDIR,  /**< one message file of a Maildir */
} BimiMailSourceItemKind;

/** One message or file. Exactly one of @data and @error is set. */
typedef struct {
  BimiMailSourceItemKind kind;
  char *where;    /**< the path; for an mbox message "PATH, message N (line L)" */
  GBytes *data;   /**< the bytes (for an mbox message: without its From_ line, quoting undone) */
  GError *error;  /**< why this item was skipped (BIMI_MAIL_SOURCE_ERROR_*); reading goes on */
} BimiMailSourceItem;

void bimi_mail_source_item_free(BimiMailSourceItem *item);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiMailSourceItem, bimi_mail_source_item_free)

typedef struct BimiMailSource BimiMailSource;

/**
 * bimi_mail_source_open:
 * @path: a file or directory
 * @error: BIMI_MAIL_SOURCE_ERROR_IO (missing, unreadable, not a file or directory)
 *
 * Returns: (transfer full): the reader, or NULL with @error.
 */
BimiMailSource *bimi_mail_source_open(const char *path, GError **error);

/**
 * bimi_mail_source_open_mbox_stream:
 * @stream: (transfer none): mbox data (taken as an mbox whatever its first line)
 * @name: how items are named ("PATH, message N")
 *
 * Reads an mbox from a stream (the fuzz target and tests use a memory stream).
 *
 * Returns: (transfer full): the reader.
 */
BimiMailSource *bimi_mail_source_open_mbox_stream(GInputStream *stream, const char *name);

/**
 * bimi_mail_source_next:
 * @mailbox: the reader
 * @item_out: (out) (transfer full): the next item
 * @error: BIMI_MAIL_SOURCE_ERROR_IO when reading cannot go on at all (the stream
 *   of an mbox failed); problems of one item are in the item
 *
 * Returns: TRUE with *@item_out set; FALSE at the end (no error) or with @error.
 */
gboolean bimi_mail_source_next(BimiMailSource *mailbox, BimiMailSourceItem **item_out, GError **error);

/** Items returned so far (messages and files, skipped ones included). */
guint64 bimi_mail_source_count(const BimiMailSource *mailbox);

/**
 * bimi_mail_source_bytes:
 * @mailbox: the reader
 *
 * Returns: bytes of input read so far: the files returned as items (skipped ones by their size)
 *   and what the mbox parser consumed, From_ lines included; at the end, the sum of the sizes
 *   of the files read (the progress of a survey over mbox files).
 */
guint64 bimi_mail_source_bytes(const BimiMailSource *mailbox);

void bimi_mail_source_free(BimiMailSource *mailbox);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(BimiMailSource, bimi_mail_source_free)

G_END_DECLS

#endif /* BIMI_REPORT_MAIL_SOURCE_H */
