/**
 * An error the API answers with its own status code, as the real server's `ApiError`: the body is
 * `{"error":"<message>","status":<code>}`. Anything else thrown inside a handler becomes a 500 with
 * the error's message, which is also what the real server does with errors that carry no status.
 */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'ApiError';
  }

  /** `bad request body: <reason>`, the wrapper the real server puts around every decoding failure. */
  static badRequestBody(reason: string): ApiError {
    return new ApiError(`bad request body: ${reason}`, 400);
  }

  static missingField(field: string): ApiError {
    return new ApiError(`missing required field: ${field}`, 400);
  }
}

export const ERRORS = {
  proxyNotFound: () => new ApiError('proxy not found', 404),
  proxyAlreadyExists: () => new ApiError('proxy already exists', 409),
  invalidStream: () => new ApiError('stream was invalid, can be either upstream or downstream', 400),
  invalidToxicType: () => new ApiError('invalid toxic type', 400),
  toxicAlreadyExists: () => new ApiError('toxic already exists', 409),
  toxicNotFound: () => new ApiError('toxic not found', 404),
} as const;

/** Status and message for any thrown value: ApiErrors keep theirs, everything else is a 500. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(error instanceof Error ? error.message : String(error), 500);
}
