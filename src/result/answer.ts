import { Summary } from '../report/summary';

/** KubeDiag's result key, followed by ours. */
export const RESULT = 'diagnoser.runtime.go_profiler.result.';

export interface AnswerInput {
  viewerUrl: string;
  expirationSeconds: number;
  expiresAt: Date;
  /** Absent in an async answer: the capture has not ended yet. */
  profilePath?: string;
  summary?: Summary;
}

/** The 200 body: a flat object of strings, as KubeDiag's executor requires (map[string]string). */
export function buildAnswer(input: AnswerInput): Record<string, string> {
  return {
    [`${RESULT}endpoint`]: `Visit ${input.viewerUrl.replace(/\/$/, '')}, this server will expire in ${input.expirationSeconds} seconds.`,
    [`${RESULT}viewer_url`]: input.viewerUrl,
    [`${RESULT}expires_at`]: rfc3339(input.expiresAt),
    ...(input.profilePath !== undefined ? { [`${RESULT}profile_path`]: input.profilePath } : {}),
    ...(input.summary !== undefined ? { [`${RESULT}summary`]: JSON.stringify(input.summary) } : {}),
  };
}

/** result.storage_warning, when part of the profile waits on this replica for the store to come back. */
export function storageWarning(warnings: Array<string | undefined>): Record<string, string> {
  const given = [...new Set(warnings.filter((w): w is string => w !== undefined))];
  return given.length > 0 ? { [`${RESULT}storage_warning`]: given.join('; ') } : {};
}

/** RFC 3339 in UTC to the second, as the answer's times are written. */
export function rfc3339(at: Date): string {
  return at.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The viewer's address: http://<advertised host>:<port> as KubeDiag prints it, or under PUBLIC_BASE_URL when the
 * service sits behind one Service or Ingress.
 */
export function viewerUrl(id: string, port: number, advertiseAddress: string, publicBaseUrl?: string): string {
  if (publicBaseUrl) return `${publicBaseUrl}/viewer/${id}/`;
  const host = advertiseAddress.includes(':') ? `[${advertiseAddress}]` : advertiseAddress;
  return `http://${host}:${port}`;
}
