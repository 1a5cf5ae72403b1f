/**
 * Where the helper listens and who may use it, unless told otherwise (contract C4): the socket in
 * `/run/tsunagu` (0755 root:root, so group members can reach it), mode 0660 root:<group>; session
 * state in `/run/tsunagu/sessions` (0700 root).
 */
export const DEFAULT_RUN_DIR = '/run/tsunagu';
export const DEFAULT_SOCKET = `${DEFAULT_RUN_DIR}/helper.sock`;
export const DEFAULT_GROUP = 'tsunagu';
/** The session work directories, inside the run directory. */
export const SESSIONS_DIR_NAME = 'sessions';
