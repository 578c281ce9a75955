import { InputError } from '../../src/errors';
import { ParseLimits, parseRequest } from '../../src/parameters/parse';

/** The details of the InputError a body is refused with; fails the test when the body is accepted. */
export function parseProblems(body: unknown, limits: ParseLimits): Array<{ key?: string; message: string }> {
  try {
    parseRequest(body, limits);
  } catch (error) {
    expect(error).toBeInstanceOf(InputError);
    return (error as InputError).details;
  }
  throw new Error('expected an InputError');
}
