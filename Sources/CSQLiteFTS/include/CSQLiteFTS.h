#ifndef RAG_CSQLITEFTS_H
#define RAG_CSQLITEFTS_H

#include <stdint.h>

/// The name under which `rag_fts_register` adds the tokenizer to a connection.
#define RAG_FTS_TOKENIZER_NAME "ragcjk"

/// Registers the `ragcjk` FTS5 tokenizer and the `ragrank` ranking function on an open
/// connection (a `sqlite3 *`).
///
/// `ragrank(fts, first_scored, w_col..., idf...)` is FTS5's BM25 with the IDFs given by
/// the caller, so a query does not scan every term's whole doclist to count it.
///
/// `ragcjk` wraps another tokenizer (its first argument, `unicode61` by default) and
/// splits every run of Chinese, Japanese or Korean characters that the wrapped
/// tokenizer glued into one token: into overlapping bigrams, each with the single
/// character colocated, when indexing; into bigrams only (or the single character of a
/// one-character run) when querying. Use it under `porter` so English words are stemmed:
/// `tokenize = 'porter ragcjk unicode61 remove_diacritics 2'`.
/// Returns an SQLite result code.
int rag_fts_register(void *db);

/// Whether a code point belongs to the scripts `ragcjk` splits into bigrams.
int rag_fts_is_cjk(uint32_t codepoint);

/// Process-wide SQLite settings, before the first connection opens (later calls are
/// refused by SQLite and harmless): turns off memory statistics, whose global mutex
/// every allocation would take.
int rag_sqlite_configure(void);

/// A tokenizer usable outside SQL: the index's own chain
/// (`porter ragcjk unicode61 remove_diacritics 2`), for matching query terms against
/// passage text exactly as the index does. Not thread-safe: one caller at a time.
typedef struct RagTextTokenizer RagTextTokenizer;

/// Called for each token with its byte range in the text; return 0 to continue.
/// `colocated` is 1 for a token at the same position as the previous one (a CJK
/// character beside its bigram).
typedef int (*rag_token_callback)(void *context, const char *token, int length, int start, int end, int colocated);

/// Creates a tokenizer (it owns a private in-memory SQLite connection). NULL on failure.
RagTextTokenizer *rag_tokenizer_new(void);
void rag_tokenizer_free(RagTextTokenizer *tokenizer);
/// Tokenizes `text` as a query (`query` = 1: CJK bigrams only) or as a document.
int rag_tokenizer_run(RagTextTokenizer *tokenizer, int query, const char *text, int length,
                      void *context, rag_token_callback callback);

#endif
