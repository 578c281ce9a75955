/**
 * What a kubelet with containerd reports for an image no registry has: here,
 * every image but `local` and the collector's.
 */

/** containerd's normalised reference: docker.io/library/x:latest for x. */
export function normalisedReference(image: string): string {
  const [first, ...rest] = image.split('/');
  const hasRegistry = rest.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  let reference = hasRegistry ? image : `docker.io/${rest.length ? image : `library/${image}`}`;
  const lastPart = reference.slice(reference.lastIndexOf('/') + 1);
  if (!lastPart.includes(':') && !lastPart.includes('@')) reference += ':latest';
  return reference;
}

export function pullErrorMessage(image: string): string {
  const reference = normalisedReference(image);
  return `rpc error: code = NotFound desc = failed to pull and unpack image "${reference}": failed to resolve reference "${reference}": ${reference}: not found`;
}

export function pullBackOffMessage(image: string): string {
  return `Back-off pulling image "${image}"`;
}
