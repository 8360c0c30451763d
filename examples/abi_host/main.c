/*
 * A minimal host of orgscim's C ABI: creates an instance from a JSON config file, sends one
 * request and prints the response.
 *
 *   orgscim_abi_host CONFIG.json [METHOD TARGET [BODY]]
 *   orgscim_abi_host examples/config/sqlite.json GET /scim/v2/ServiceProviderConfig
 *
 * A real host would keep the instance for its whole life and call orgscim_handle from its worker
 * threads; see docs/plugin-abi.md.
 */
#include <orgscim/abi/orgscim.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char* read_file(const char* path, size_t* len) {
    FILE* f = fopen(path, "rb");
    char* data = NULL;
    long size;
    if (f == NULL) return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (size = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        data = malloc((size_t)size + 1);
        if (data != NULL && fread(data, 1, (size_t)size, f) != (size_t)size) {
            free(data);
            data = NULL;
        }
        *len = (size_t)size;
    }
    fclose(f);
    return data;
}

int main(int argc, char** argv) {
    const char* method = argc > 2 ? argv[2] : "GET";
    const char* target = argc > 3 ? argv[3] : "/healthz";
    const char* body = argc > 4 ? argv[4] : "";
    orgscim_header headers[] = {
        {"Content-Type", 12, "application/scim+json", 21},
        {"Accept", 6, "application/scim+json", 21},
    };
    orgscim_request request;
    orgscim_instance* instance = NULL;
    orgscim_response* response = NULL;
    char* error = NULL;
    char* config;
    size_t config_len = 0;
    size_t i;
    int rc;

    if (argc < 2) {
        fprintf(stderr, "usage: %s CONFIG.json [METHOD TARGET [BODY]]\n", argv[0]);
        return 2;
    }
    /* The library loaded at run time must speak the ABI this host was compiled against. */
    /* Same major version; within it, a version number at least ours means a minor at least ours. */
    if ((orgscim_abi_version() >> 16) != ORGSCIM_ABI_VERSION_MAJOR ||
        orgscim_abi_version() < (uint32_t)ORGSCIM_ABI_VERSION) {
        fprintf(stderr, "orgscim ABI %#x loaded, %#x expected\n", (unsigned)orgscim_abi_version(),
                (unsigned)ORGSCIM_ABI_VERSION);
        return 1;
    }
    config = read_file(argv[1], &config_len);
    if (config == NULL) {
        fprintf(stderr, "cannot read %s\n", argv[1]);
        return 1;
    }
    rc = orgscim_create(config, config_len, &instance, &error);
    free(config);
    if (rc != ORGSCIM_OK) {
        /* One problem per line, each with its JSON path. */
        fprintf(stderr, "orgscim_create failed (%d):\n%s\n", rc, error ? error : "");
        orgscim_string_free(error);
        return 1;
    }

    memset(&request, 0, sizeof request);
    request.method = method;
    request.method_len = strlen(method);
    request.target = target;
    request.target_len = strlen(target);
    request.headers = headers;
    request.header_count = sizeof headers / sizeof headers[0];
    request.body = body;
    request.body_len = strlen(body);
    request.remote_addr = "127.0.0.1";
    request.remote_addr_len = 9;

    rc = orgscim_handle(instance, &request, &response);
    if (rc == ORGSCIM_OK) {
        printf("HTTP %d\n", response->status);
        for (i = 0; i < response->header_count; ++i) {
            printf("%.*s: %.*s\n", (int)response->headers[i].name_len, response->headers[i].name,
                   (int)response->headers[i].value_len, response->headers[i].value);
        }
        printf("\n%.*s\n", (int)response->body_len, response->body);
        orgscim_response_free(response);
    } else {
        fprintf(stderr, "orgscim_handle failed (%d)\n", rc);
    }
    orgscim_destroy(instance);
    return rc == ORGSCIM_OK ? 0 : 1;
}
