/** The parameter hash a Train cell stores so that a replay can tell whether it is bit-identical. */
import { float32Bytes } from './binary';

/** SHA-256 of the little-endian float32 bytes of `params`, as 64 lowercase hex digits. */
export async function paramsHash(params: Float32Array): Promise<string> {
  const digest = await crypto.subtle.digest(
    'SHA-256',
    float32Bytes(params) as Uint8Array<ArrayBuffer>,
  );
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}
