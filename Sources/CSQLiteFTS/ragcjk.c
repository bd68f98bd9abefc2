#include "CSQLiteFTS.h"

#include <sqlite3.h>
#include <string.h>

int rag_fts_is_cjk(uint32_t c) {
    return (c >= 0x3005 && c <= 0x3007)      /* 々 〆 〇 */
        || (c >= 0x3040 && c <= 0x30FF)      /* Hiragana, Katakana */
        || (c >= 0x31F0 && c <= 0x31FF)      /* Katakana phonetic extensions */
        || (c >= 0x3400 && c <= 0x4DBF)      /* CJK extension A */
        || (c >= 0x4E00 && c <= 0x9FFF)      /* CJK unified ideographs */
        || (c >= 0xAC00 && c <= 0xD7AF)      /* Hangul syllables */
        || (c >= 0xF900 && c <= 0xFAFF)      /* CJK compatibility ideographs */
        || (c >= 0x20000 && c <= 0x3134F);   /* CJK extensions B to G */
}

/* Decodes one UTF-8 sequence at s (n bytes available). Returns its length (at least 1). */
static int utf8_decode(const unsigned char *s, int n, uint32_t *cp) {
    unsigned char b = s[0];
    if (b < 0x80 || n < 2) { *cp = b; return 1; }
    if (b < 0xE0) { *cp = ((uint32_t)(b & 0x1F) << 6) | (s[1] & 0x3F); return 2; }
    if (b < 0xF0 || n < 4) {
        if (n < 3) { *cp = b; return 1; }
        *cp = ((uint32_t)(b & 0x0F) << 12) | ((uint32_t)(s[1] & 0x3F) << 6) | (s[2] & 0x3F);
        return 3;
    }
    *cp = ((uint32_t)(b & 0x07) << 18) | ((uint32_t)(s[1] & 0x3F) << 12) | ((uint32_t)(s[2] & 0x3F) << 6) | (s[3] & 0x3F);
    return 4;
}

typedef struct {
    fts5_tokenizer parent;
    Fts5Tokenizer *parent_instance;
} RagTokenizer;

typedef struct {
    void *ctx;
    int (*emit)(void *, int, const char *, int, int, int);
    int reason; /* FTS5_TOKENIZE_DOCUMENT, _QUERY or _AUX (possibly with _PREFIX) */
    const char *text;
} RagCallback;

/* One character of a token: where it is in the token and in the original text. */
typedef struct {
    int tok_start, tok_end;
    int orig_start, orig_end;
    int cjk;
} RagChar;

static int rag_create(void *user, const char **argv, int argc, Fts5Tokenizer **out) {
    fts5_api *api = (fts5_api *)user;
    const char *parent_name = argc > 0 ? argv[0] : "unicode61";
    void *parent_user = NULL;
    RagTokenizer *t = sqlite3_malloc(sizeof(*t));
    if (t == NULL) return SQLITE_NOMEM;
    memset(t, 0, sizeof(*t));
    int rc = api->xFindTokenizer(api, parent_name, &parent_user, &t->parent);
    if (rc == SQLITE_OK) {
        rc = t->parent.xCreate(parent_user, argc > 0 ? argv + 1 : NULL, argc > 0 ? argc - 1 : 0, &t->parent_instance);
    }
    if (rc != SQLITE_OK) {
        sqlite3_free(t);
        return rc;
    }
    *out = (Fts5Tokenizer *)t;
    return SQLITE_OK;
}

static void rag_delete(Fts5Tokenizer *p) {
    RagTokenizer *t = (RagTokenizer *)p;
    if (t->parent_instance) t->parent.xDelete(t->parent_instance);
    sqlite3_free(t);
}

/* Emits a run of CJK characters chars[from..<to] taken from `token`. */
static int rag_emit_cjk_run(RagCallback *cb, const char *token, RagChar *chars, int from, int to) {
    int rc = SQLITE_OK;
    int n = to - from;
    int querying = (cb->reason & FTS5_TOKENIZE_QUERY) != 0;
    if (n == 1) {
        RagChar *c = &chars[from];
        return cb->emit(cb->ctx, 0, token + c->tok_start, c->tok_end - c->tok_start, c->orig_start, c->orig_end);
    }
    for (int i = from; i < to && rc == SQLITE_OK; i++) {
        RagChar *c = &chars[i];
        if (i + 1 < to) {
            RagChar *d = &chars[i + 1];
            rc = cb->emit(cb->ctx, 0, token + c->tok_start, d->tok_end - c->tok_start, c->orig_start, d->orig_end);
            if (rc == SQLITE_OK && !querying) {
                rc = cb->emit(cb->ctx, FTS5_TOKEN_COLOCATED, token + c->tok_start, c->tok_end - c->tok_start,
                              c->orig_start, c->orig_end);
            }
        } else if (!querying) {
            rc = cb->emit(cb->ctx, 0, token + c->tok_start, c->tok_end - c->tok_start, c->orig_start, c->orig_end);
        }
    }
    return rc;
}

static int rag_token_cb(void *ctx, int tflags, const char *token, int ntoken, int start, int end) {
    RagCallback *cb = (RagCallback *)ctx;
    const unsigned char *tok = (const unsigned char *)token;

    /* Every code point this tokenizer splits is encoded with a lead byte of 0xE3 or more. */
    int slow = 0;
    for (int i = 0; i < ntoken; i++) {
        if (tok[i] >= 0xE3) { slow = 1; break; }
    }
    if (!slow) return cb->emit(cb->ctx, tflags, token, ntoken, start, end);

    RagChar stack_chars[64];
    RagChar *chars = stack_chars;
    int capacity = 64, count = 0, has_cjk = 0;
    for (int i = 0; i < ntoken;) {
        uint32_t cp;
        int len = utf8_decode(tok + i, ntoken - i, &cp);
        if (count == capacity) {
            int bigger = capacity * 2;
            RagChar *grown = sqlite3_malloc64((sqlite3_uint64)bigger * sizeof(RagChar));
            if (grown == NULL) {
                if (chars != stack_chars) sqlite3_free(chars);
                return SQLITE_NOMEM;
            }
            memcpy(grown, chars, (size_t)count * sizeof(RagChar));
            if (chars != stack_chars) sqlite3_free(chars);
            chars = grown;
            capacity = bigger;
        }
        RagChar *c = &chars[count++];
        c->tok_start = i;
        c->tok_end = i + len;
        c->cjk = rag_fts_is_cjk(cp);
        c->orig_start = start;
        c->orig_end = end;
        has_cjk |= c->cjk;
        i += len;
    }
    if (!has_cjk) {
        if (chars != stack_chars) sqlite3_free(chars);
        return cb->emit(cb->ctx, tflags, token, ntoken, start, end);
    }

    /* Map each CJK character to its place in the original text. Folding never changes a
       CJK character, so the k-th CJK character of the token is the k-th of the text. If
       the counts disagree, every piece keeps the whole token's offsets. */
    int k = 0, matched = 1;
    const unsigned char *orig = (const unsigned char *)cb->text;
    int orig_count = 0;
    for (int i = start; i < end;) {
        uint32_t cp;
        int len = utf8_decode(orig + i, end - i, &cp);
        if (rag_fts_is_cjk(cp)) {
            while (k < count && !chars[k].cjk) k++;
            if (k < count) {
                chars[k].orig_start = i;
                chars[k].orig_end = i + len;
                k++;
            }
            orig_count++;
        }
        i += len;
    }
    int token_cjk = 0;
    for (int i = 0; i < count; i++) token_cjk += chars[i].cjk;
    if (token_cjk != orig_count) {
        matched = 0;
        for (int i = 0; i < count; i++) { chars[i].orig_start = start; chars[i].orig_end = end; }
    }

    int rc = SQLITE_OK;
    int i = 0;
    int prev_orig_end = start;
    while (i < count && rc == SQLITE_OK) {
        int j = i;
        if (chars[i].cjk) {
            while (j < count && chars[j].cjk) j++;
            rc = rag_emit_cjk_run(cb, token, chars, i, j);
            prev_orig_end = chars[j - 1].orig_end;
        } else {
            while (j < count && !chars[j].cjk) j++;
            int orig_start = matched ? prev_orig_end : start;
            int orig_end = (matched && j < count) ? chars[j].orig_start : end;
            rc = cb->emit(cb->ctx, 0, token + chars[i].tok_start, chars[j - 1].tok_end - chars[i].tok_start,
                          orig_start, orig_end);
        }
        i = j;
    }
    if (chars != stack_chars) sqlite3_free(chars);
    return rc;
}

static int rag_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text, int ntext,
                        int (*emit)(void *, int, const char *, int, int, int)) {
    RagTokenizer *t = (RagTokenizer *)p;
    RagCallback cb = {ctx, emit, flags, text};
    return t->parent.xTokenize(t->parent_instance, &cb, flags, text, ntext, rag_token_cb);
}

static fts5_api *rag_fts5_api(sqlite3 *db) {
    fts5_api *api = NULL;
    sqlite3_stmt *stmt = NULL;
    if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, NULL) == SQLITE_OK) {
        sqlite3_bind_pointer(stmt, 1, (void *)&api, "fts5_api_ptr", NULL);
        sqlite3_step(stmt);
    }
    sqlite3_finalize(stmt);
    return api;
}

static int rag_register_rank(sqlite3 *db);

int rag_fts_register(void *handle) {
    sqlite3 *db = (sqlite3 *)handle;
    fts5_api *api = rag_fts5_api(db);
    if (api == NULL) return SQLITE_ERROR;
    static fts5_tokenizer tokenizer = {rag_create, rag_delete, rag_tokenize};
    int rc = api->xCreateTokenizer(api, RAG_FTS_TOKENIZER_NAME, (void *)api, &tokenizer, NULL);
    if (rc == SQLITE_OK) rc = rag_register_rank(db);
    return rc;
}

/* ---------------------------------------------------------------- tokenizing outside SQL */

struct RagTextTokenizer {
    sqlite3 *db;
    fts5_tokenizer porter;
    Fts5Tokenizer *instance;
};

typedef struct {
    void *context;
    rag_token_callback callback;
} RagRunContext;

static int rag_run_cb(void *ctx, int tflags, const char *token, int ntoken, int start, int end) {
    RagRunContext *run = (RagRunContext *)ctx;
    return run->callback(run->context, token, ntoken, start, end, (tflags & FTS5_TOKEN_COLOCATED) != 0);
}

RagTextTokenizer *rag_tokenizer_new(void) {
    RagTextTokenizer *t = sqlite3_malloc(sizeof(*t));
    if (t == NULL) return NULL;
    memset(t, 0, sizeof(*t));
    if (sqlite3_open_v2(":memory:", &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK
        || rag_fts_register(t->db) != SQLITE_OK) {
        rag_tokenizer_free(t);
        return NULL;
    }
    fts5_api *api = rag_fts5_api(t->db);
    void *user = NULL;
    const char *args[] = {RAG_FTS_TOKENIZER_NAME, "unicode61", "remove_diacritics", "2"};
    if (api == NULL || api->xFindTokenizer(api, "porter", &user, &t->porter) != SQLITE_OK
        || t->porter.xCreate(user, args, 4, &t->instance) != SQLITE_OK) {
        t->instance = NULL;
        rag_tokenizer_free(t);
        return NULL;
    }
    return t;
}

void rag_tokenizer_free(RagTextTokenizer *t) {
    if (t == NULL) return;
    if (t->instance) t->porter.xDelete(t->instance);
    if (t->db) sqlite3_close(t->db);
    sqlite3_free(t);
}

int rag_tokenizer_run(RagTextTokenizer *t, int query, const char *text, int length, void *context,
                      rag_token_callback callback) {
    RagRunContext run = {context, callback};
    int reason = query ? FTS5_TOKENIZE_QUERY : FTS5_TOKENIZE_DOCUMENT;
    return t->porter.xTokenize(t->instance, &run, reason, text, length, rag_run_cb);
}

int rag_sqlite_configure(void) {
    /* Memory statistics take a global mutex on every allocation; nothing here reads them. */
    return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* ---------------------------------------------------------------- ranking */

/*
 * ragrank(fts, first_scored, w_col0, ..., w_colN-1, idf_0, idf_1, ...)
 *
 * BM25 as FTS5's bm25() computes it (k1 = 1.2, b = 0.75, per-column weights scaling
 * term frequency), except that the IDF of each phrase is given by the caller instead of
 * being counted by scanning every phrase's whole doclist on each query. Phrases before
 * `first_scored` only select rows (a query shaped "(rare) AND (rare OR common)") and do
 * not score. Returns a positive score: higher is better.
 */
typedef struct {
    double avgdl;
    int ncol;
} RagRankData;

static void rag_rank(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx, int nval,
                     sqlite3_value **vals) {
    const double k1 = 1.2, b = 0.75;
    int ncol = api->xColumnCount(fts);
    if (nval < 1 + ncol) {
        sqlite3_result_error(ctx, "ragrank: expected first_scored, column weights and IDFs", -1);
        return;
    }
    RagRankData *data = (RagRankData *)api->xGetAuxdata(fts, 0);
    if (data == NULL) {
        sqlite3_int64 rows = 0, tokens = 0;
        data = sqlite3_malloc(sizeof(*data));
        if (data == NULL || api->xRowCount(fts, &rows) != SQLITE_OK || api->xColumnTotalSize(fts, -1, &tokens) != SQLITE_OK) {
            sqlite3_free(data);
            sqlite3_result_error_code(ctx, SQLITE_ERROR);
            return;
        }
        data->avgdl = rows > 0 ? (double)tokens / (double)rows : 1.0;
        data->ncol = ncol;
        if (api->xSetAuxdata(fts, data, sqlite3_free) != SQLITE_OK) {
            sqlite3_result_error_code(ctx, SQLITE_NOMEM);
            return;
        }
    }
    int first = sqlite3_value_int(vals[0]);
    int nphrase = api->xPhraseCount(fts);
    double weights[16];
    for (int c = 0; c < ncol && c < 16; c++) weights[c] = sqlite3_value_double(vals[1 + c]);

    double freq_stack[32];
    double *freq = nphrase <= 32 ? freq_stack : sqlite3_malloc64(sizeof(double) * (sqlite3_uint64)nphrase);
    if (freq == NULL) { sqlite3_result_error_nomem(ctx); return; }
    for (int p = 0; p < nphrase; p++) freq[p] = 0;

    int ninst = 0;
    if (api->xInstCount(fts, &ninst) != SQLITE_OK) ninst = 0;
    for (int i = 0; i < ninst; i++) {
        int phrase, col, off;
        if (api->xInst(fts, i, &phrase, &col, &off) == SQLITE_OK && phrase >= first && col < 16) {
            freq[phrase] += weights[col];
        }
    }
    int length = 0;
    api->xColumnSize(fts, -1, &length);
    double norm = k1 * (1 - b + b * (double)length / data->avgdl);
    double score = 0;
    for (int p = first; p < nphrase; p++) {
        int arg = 1 + ncol + (p - first);
        if (freq[p] <= 0 || arg >= nval) continue;
        double idf = sqlite3_value_double(vals[arg]);
        score += idf * (freq[p] * (k1 + 1)) / (freq[p] + norm);
    }
    if (freq != freq_stack) sqlite3_free(freq);
    sqlite3_result_double(ctx, score);
}

static int rag_register_rank(sqlite3 *db) {
    fts5_api *api = rag_fts5_api(db);
    if (api == NULL) return SQLITE_ERROR;
    return api->xCreateFunction(api, "ragrank", NULL, rag_rank, NULL);
}
