/**
 * A client's request refused as invalid — bad JSON, a description or candidate the WebRTC stack rejects —
 * rather than failing in our code: counted as `invalid_request`, never as `handler_error`.
 */
export class InvalidSignal extends Error {}
