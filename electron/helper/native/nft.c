// nftables in the helper's own process, through libnftables (what the nft command is built on).
// A kill switch apply through the nft command costs a process start, its shared libraries and a
// netlink cache each time (~5-10 ms, more on a busy machine, twice when the table is listed back);
// in-process it is the kernel's transaction alone (~1-2 ms), and the connect waits for it.
//
// libnftables is opened with dlopen when first used: nothing is linked at build time (no headers
// or -dev package needed), and a system without it keeps the nft command (the caller falls back).
// Each call runs on a thread of its own: setns(CLONE_NEWNET) changes only the calling thread, and
// neither Node's thread pool nor the main thread may end up in another namespace. Calls are
// serialised: libnftables keeps some process-wide state.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <node_api.h>

struct nft_ctx;

// The few entry points used (libnftables.h, stable since nftables 0.9).
static struct {
  struct nft_ctx *(*ctx_new)(uint32_t flags);
  void (*ctx_free)(struct nft_ctx *ctx);
  void (*output_set_flags)(struct nft_ctx *ctx, unsigned int flags);
  int (*buffer_output)(struct nft_ctx *ctx);
  int (*buffer_error)(struct nft_ctx *ctx);
  const char *(*get_output_buffer)(struct nft_ctx *ctx);
  const char *(*get_error_buffer)(struct nft_ctx *ctx);
  int (*run_cmd_from_buffer)(struct nft_ctx *ctx, const char *buf);
} lib;

static pthread_once_t lib_once = PTHREAD_ONCE_INIT;
static int lib_loaded = 0;
static char lib_error[256] = "";
static pthread_mutex_t lib_mutex = PTHREAD_MUTEX_INITIALIZER;

static void *symbol(void *handle, const char *name) {
  void *p = dlsym(handle, name);
  if (p == NULL && lib_error[0] == '\0') snprintf(lib_error, sizeof lib_error, "libnftables has no %s", name);
  return p;
}

static void load_library(void) {
  void *h = dlopen("libnftables.so.1", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL) {
    const char *e = dlerror();
    snprintf(lib_error, sizeof lib_error, "%s", e ? e : "libnftables.so.1 could not be loaded");
    return;
  }
  *(void **)&lib.ctx_new = symbol(h, "nft_ctx_new");
  *(void **)&lib.ctx_free = symbol(h, "nft_ctx_free");
  *(void **)&lib.output_set_flags = symbol(h, "nft_ctx_output_set_flags");
  *(void **)&lib.buffer_output = symbol(h, "nft_ctx_buffer_output");
  *(void **)&lib.buffer_error = symbol(h, "nft_ctx_buffer_error");
  *(void **)&lib.get_output_buffer = symbol(h, "nft_ctx_get_output_buffer");
  *(void **)&lib.get_error_buffer = symbol(h, "nft_ctx_get_error_buffer");
  *(void **)&lib.run_cmd_from_buffer = symbol(h, "nft_run_cmd_from_buffer");
  lib_loaded = lib_error[0] == '\0';
}

typedef struct {
  char *script;
  char *netns;  // a path such as /run/netns/NAME, or NULL for the helper's own namespace
  uint32_t flags;
  int code;     // nft_run_cmd_from_buffer's result; -2: libnftables unavailable; -3: setup failed
  char *out;
  char *err;
  napi_deferred deferred;
  napi_async_work work;
} Job;

static char *copy(const char *s) {
  return strdup(s ? s : "");
}

static void fail(Job *j, int code, const char *what, int err) {
  char message[512];
  snprintf(message, sizeof message, "%s: %s", what, strerror(err));
  j->code = code;
  j->err = copy(message);
}

static void *run_job(void *data) {
  Job *j = data;
  if (j->netns != NULL) {
    int fd = open(j->netns, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      fail(j, -3, j->netns, errno);
      return NULL;
    }
    int r = setns(fd, CLONE_NEWNET);
    int e = errno;
    close(fd);
    if (r != 0) {
      fail(j, -3, "setns", e);
      return NULL;
    }
  }
  pthread_mutex_lock(&lib_mutex);
  struct nft_ctx *ctx = lib.ctx_new(0);
  if (ctx == NULL) {
    pthread_mutex_unlock(&lib_mutex);
    fail(j, -3, "nft_ctx_new", ENOMEM);
    return NULL;
  }
  lib.output_set_flags(ctx, j->flags);
  lib.buffer_output(ctx);
  lib.buffer_error(ctx);
  j->code = lib.run_cmd_from_buffer(ctx, j->script);
  j->out = copy(lib.get_output_buffer(ctx));
  j->err = copy(lib.get_error_buffer(ctx));
  lib.ctx_free(ctx);
  pthread_mutex_unlock(&lib_mutex);
  return NULL;
}

static void Execute(napi_env env, void *data) {
  (void)env;
  Job *j = data;
  pthread_once(&lib_once, load_library);
  if (!lib_loaded) {
    j->code = -2;
    j->err = copy(lib_error);
    return;
  }
  pthread_t thread;
  int r = pthread_create(&thread, NULL, run_job, j);
  if (r != 0) {
    fail(j, -3, "pthread_create", r);
    return;
  }
  pthread_join(thread, NULL);
}

static void set_string(napi_env env, napi_value object, const char *name, const char *value) {
  napi_value v;
  napi_create_string_utf8(env, value ? value : "", NAPI_AUTO_LENGTH, &v);
  napi_set_named_property(env, object, name, v);
}

static void Complete(napi_env env, napi_status status, void *data) {
  Job *j = data;
  napi_value result, code;
  napi_create_object(env, &result);
  napi_create_int32(env, status == napi_ok ? j->code : -3, &code);
  napi_set_named_property(env, result, "code", code);
  set_string(env, result, "stdout", j->out);
  set_string(env, result, "stderr", j->err);
  napi_resolve_deferred(env, j->deferred, result);
  napi_delete_async_work(env, j->work);
  free(j->script);
  free(j->netns);
  free(j->out);
  free(j->err);
  free(j);
}

static char *string_arg(napi_env env, napi_value v) {
  size_t len;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *s = malloc(len + 1);
  if (s == NULL) return NULL;
  napi_get_value_string_utf8(env, v, s, len + 1, &len);
  // A NUL inside would cut the script short without nft noticing: refuse it.
  if (strlen(s) != len) {
    free(s);
    return NULL;
  }
  return s;
}

// nftRun(script: string, netnsPath: string | null, flags: number): Promise<{ code, stdout, stderr }>
static napi_value NftRun(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 3) {
    napi_throw_type_error(env, NULL, "nftRun(script, netnsPath, flags)");
    return NULL;
  }
  napi_valuetype netnsType;
  uint32_t flags;
  napi_typeof(env, argv[1], &netnsType);
  if (napi_get_value_uint32(env, argv[2], &flags) != napi_ok || (netnsType != napi_null && netnsType != napi_string)) {
    napi_throw_type_error(env, NULL, "nftRun(script, netnsPath, flags): netnsPath is a string or null, flags a number");
    return NULL;
  }
  Job *j = calloc(1, sizeof *j);
  if (j == NULL) {
    napi_throw_error(env, NULL, "out of memory");
    return NULL;
  }
  j->flags = flags;
  j->script = string_arg(env, argv[0]);
  j->netns = netnsType == napi_string ? string_arg(env, argv[1]) : NULL;
  if (j->script == NULL || (netnsType == napi_string && j->netns == NULL)) {
    free(j->script);
    free(j->netns);
    free(j);
    napi_throw_type_error(env, NULL, "nftRun: the script and the namespace path must be strings without NUL");
    return NULL;
  }
  napi_value promise, name;
  napi_create_promise(env, &j->deferred, &promise);
  napi_create_string_utf8(env, "tsunagu-nft", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, NULL, name, Execute, Complete, j, &j->work);
  napi_queue_async_work(env, j->work);
  return promise;
}

void RegisterNft(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "nftRun", NAPI_AUTO_LENGTH, NftRun, NULL, &fn);
  napi_set_named_property(env, exports, "nftRun", fn);
}
