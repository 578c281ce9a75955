// api/status, shared with the page (web/app/api-types.ts): types only, so the page's build pulls in nothing else.

export type CaptureState = 'capturing' | 'analyzing' | 'ready' | 'failed';

/** api/status: where a viewer's capture is. A viewer opened on a profile is `ready` from the start. */
export interface CaptureStatus {
  state: CaptureState;
  startedAt: string;
  /** When the profile should arrive: the capture's duration after the start. */
  expectedAt: string;
  /** Whole seconds until expectedAt; 0 once past it. */
  secondsLeft: number;
  /** For the page, in the state's words: "capturing a 30 s CPU profile". */
  message: string;
  /** Why the capture failed (state failed only). */
  error?: string;
}
