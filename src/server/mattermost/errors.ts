// The Mattermost error model: every 4xx/5xx from an API route carries the same JSON body,
// so clients written for a real server can match on `id` here too.

export class ApiError extends Error {
  readonly status: number;
  readonly id: string;

  constructor(status: number, id: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.id = id;
  }
}

export interface ErrorBody {
  id: string;
  message: string;
  detailed_error: string;
  request_id: string;
  status_code: number;
}

export function errorBody(error: ApiError, requestId: string): ErrorBody {
  return {
    id: error.id,
    message: error.message,
    detailed_error: '',
    request_id: requestId,
    status_code: error.status,
  };
}

export const badParam = (field: string, found: unknown, expected: string) =>
  new ApiError(
    400,
    `api.context.invalid_body_param.app_error`,
    `invalid ${field}: expected ${expected}, found ${describe(found)}`,
  );

export const badUrlParam = (field: string, found: unknown, expected: string) =>
  new ApiError(
    400,
    'api.context.invalid_url_param.app_error',
    `invalid ${field}: expected ${expected}, found ${describe(found)}`,
  );

export const unauthorized = () =>
  new ApiError(
    401,
    'api.context.session_expired.app_error',
    'invalid or expired session, please login again',
  );

export const forbidden = (what: string) =>
  new ApiError(403, 'api.context.permissions.app_error', `you do not have permission to ${what}`);

export const notFound = (what: string, id: string) =>
  new ApiError(404, 'app.' + what + '.get.app_error', `${what} not found: ${describe(id)}`);

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 77) + '...' : text;
}
