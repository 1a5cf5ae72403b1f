// The dev bridge: the production renderer in a browser, against the real app services (see server.ts).
export { injectShim, shimScript, startBridge, type Bridge, type BridgeOptions } from './server.js';
export { basicTextStorage, buildRenderer, createBridgeServices, rendererIsCurrent, ROOT, type BridgeServicesOptions } from './services.js';
