#ifndef ORGSCIM_ABI_ORGSCIM_H
#define ORGSCIM_ABI_ORGSCIM_H
/*
 * orgscim's host-neutral C ABI: create an orgscim instance from a JSON configuration, hand it
 * HTTP-shaped requests, get HTTP-shaped responses back, destroy it. Any host that owns a socket
 * (a web server module, an identity server, a test) can carry orgscim through these seven
 * functions; docs/plugin-abi.md has a walkthrough and examples/abi_host/main.c a minimal host.
 *
 * Versioning. ORGSCIM_ABI_VERSION is (major << 16) | minor. A host compiled against this header
 * must check at run time that orgscim_abi_version() has the same major number and a minor number
 * at least as large as its own. Minor versions only add functions; any change to an existing
 * struct or signature bumps the major number. The shared object exports the symbols below under
 * the ELF symbol version ORGSCIM_1 and nothing else.
 *
 * Errors. No C++ exception ever leaves a function of this header: each one catches everything and
 * turns it into a return code (and, where documented, a message). A failed call leaves its output
 * parameters set to NULL.
 *
 * Memory. Every pointer the library returns is owned by the caller and released with the matching
 * *_free function (never with free()). Every pointer the caller passes in stays owned by the caller
 * and is not retained after the call returns.
 *
 * Strings. Request and response strings are (pointer, length) pairs and need not be
 * NUL-terminated; error messages (char*) are NUL-terminated UTF-8.
 */

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ORGSCIM_ABI_VERSION_MAJOR 1
#define ORGSCIM_ABI_VERSION_MINOR 0
#define ORGSCIM_ABI_VERSION ((ORGSCIM_ABI_VERSION_MAJOR << 16) | ORGSCIM_ABI_VERSION_MINOR)

/* The library is built with hidden visibility; only these functions are exported. */
#if defined(__GNUC__)
#define ORGSCIM_API __attribute__((visibility("default")))
#else
#define ORGSCIM_API
#endif

/** Return codes of every function that can fail. */
typedef enum orgscim_status {
    ORGSCIM_OK = 0,
    /** The configuration was rejected; *error_out lists every problem, one per line, each
        prefixed with its JSON path ("storage.backend: unknown backend \"mysql\""). */
    ORGSCIM_ERROR_CONFIG = 1,
    /** The configuration was valid but start-up failed (database cannot be opened or migrated);
     *error_out holds a one-line reason. */
    ORGSCIM_ERROR_STARTUP = 2,
    /** A required pointer was NULL or a length was inconsistent; nothing was done. */
    ORGSCIM_ERROR_INVALID_ARGUMENT = 3,
    /** Out of memory or an unexpected internal failure; the instance, if any, is still usable. */
    ORGSCIM_ERROR_INTERNAL = 4
} orgscim_status;

/** An opaque orgscim instance: its storage, its token verifiers and its SCIM service. */
typedef struct orgscim_instance orgscim_instance;

/** One HTTP header. Names are matched case-insensitively. */
typedef struct orgscim_header {
    const char* name;
    size_t name_len;
    const char* value;
    size_t value_len;
} orgscim_header;

/** A request as the host received it. */
typedef struct orgscim_request {
    /** "GET", "POST", "PUT", "PATCH", "DELETE", ... */
    const char* method;
    size_t method_len;
    /** The raw request target, still percent-encoded, with its query string:
        "/api/scim/scim/v2/Users?filter=userName%20eq%20%22x%22". */
    const char* target;
    size_t target_len;
    const orgscim_header* headers;
    size_t header_count;
    /** The body (may be NULL when body_len is 0). orgscim parses it itself, whatever the
        Content-Type, and applies its own size limit (server.max_body_bytes). */
    const char* body;
    size_t body_len;
    /** The client's address for logs and rate limits; may be NULL. */
    const char* remote_addr;
    size_t remote_addr_len;
} orgscim_request;

/** A response produced by orgscim_handle; read-only for the host. The strings are not
    NUL-terminated. */
typedef struct orgscim_response {
    int status;
    const orgscim_header* headers;
    size_t header_count;
    const char* body;
    size_t body_len;
} orgscim_response;

/** ORGSCIM_ABI_VERSION of the library actually loaded. Never fails; callable at any time from any
    thread. */
ORGSCIM_API uint32_t orgscim_abi_version(void);

/**
 * Creates an instance from a JSON configuration document (the same document `orgscim serve
 * --config` reads; docs/configuration.md). Opens storage and applies migrations.
 *
 * config_json: len bytes of UTF-8 JSON, not necessarily NUL-terminated. Not retained.
 * out: receives the instance on success, NULL on failure. Release it with orgscim_destroy.
 * error_out: may be NULL. On ORGSCIM_ERROR_CONFIG / ORGSCIM_ERROR_STARTUP / ORGSCIM_ERROR_INTERNAL
 *   it receives a NUL-terminated message to release with orgscim_string_free; on success, NULL.
 * Returns ORGSCIM_OK, ORGSCIM_ERROR_CONFIG (invalid JSON or invalid configuration: every problem
 * listed), ORGSCIM_ERROR_STARTUP, ORGSCIM_ERROR_INVALID_ARGUMENT (out is NULL, or config_json is
 * NULL with len > 0) or ORGSCIM_ERROR_INTERNAL.
 * Thread-safety: any thread; several instances may exist at once (each with its own database).
 */
ORGSCIM_API int orgscim_create(const char* config_json,
                               size_t len,
                               orgscim_instance** out,
                               char** error_out);

/**
 * Answers one request. Every HTTP outcome, including 4xx/5xx SCIM errors, is ORGSCIM_OK with the
 * status in the response.
 *
 * instance, request: must not be NULL; not retained.
 * out: receives a response to release with orgscim_response_free; NULL on failure.
 * Returns ORGSCIM_OK, ORGSCIM_ERROR_INVALID_ARGUMENT or ORGSCIM_ERROR_INTERNAL (out of memory).
 * Thread-safety: safe to call concurrently on the same instance from any number of threads, but
 * never concurrently with (or after) orgscim_destroy of that instance. May block on storage.
 */
ORGSCIM_API int orgscim_handle(orgscim_instance* instance,
                               const orgscim_request* request,
                               orgscim_response** out);

/**
 * 1 when the instance is ready to serve (storage reachable, first key fetches done), else 0; the
 * same answer as GET /readyz. Returns 0 for NULL. Thread-safety: as orgscim_handle.
 */
ORGSCIM_API int orgscim_ready(const orgscim_instance* instance);

/** Releases a response from orgscim_handle. NULL is ignored. Any thread. */
ORGSCIM_API void orgscim_response_free(orgscim_response* response);

/** Releases a string returned by this library (error messages). NULL is ignored. Any thread. */
ORGSCIM_API void orgscim_string_free(char* str);

/**
 * Stops the instance's background work, waits for it, closes storage and releases the instance.
 * NULL is ignored. The host must make sure no orgscim_handle call on this instance is running or
 * will start. Responses already returned stay valid until freed.
 */
ORGSCIM_API void orgscim_destroy(orgscim_instance* instance);

#ifdef __cplusplus
}
#endif

#endif /* ORGSCIM_ABI_ORGSCIM_H */
