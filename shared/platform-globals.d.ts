// shared/ runs in Node, the helper and the renderer, so it may only use what all three provide.
// These are the few web-standard globals it relies on; nothing from Node or the DOM proper.
declare global {
  interface TextDecoderOptions { fatal?: boolean; ignoreBOM?: boolean }
  interface TextDecoder { decode(input?: Uint8Array): string }
  var TextDecoder: { new (label?: string, options?: TextDecoderOptions): TextDecoder };
  interface TextEncoder { encode(input?: string): Uint8Array }
  var TextEncoder: { new (): TextEncoder };
  function btoa(data: string): string;
  function atob(data: string): string;
}
export {};
