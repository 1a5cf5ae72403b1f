/** Where the helper listens and who may use it, unless told otherwise. */
export const DEFAULT_SOCKET = '/run/tsunagu/helper.sock';
export const DEFAULT_GROUP = 'tsunagu';
export const DEFAULT_RUN_DIR = '/run/tsunagu';
