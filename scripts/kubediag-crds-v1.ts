/**
 * KubeDiag's CRDs as apiextensions.k8s.io/v1, for clusters of Kubernetes 1.22 and later, which refuse the v1beta1
 * ones KubeDiag publishes (config/crd/bases/ in its repository). Reads the folder, writes YAML to stdout:
 *
 *   node -r ./test/support/register-ts.js scripts/kubediag-crds-v1.ts <KubeDiag's config/crd/bases> | kubectl apply --server-side -f -
 *
 * The tests install the same conversion (test/support/kubediag-crds-v1.ts) into a real API server.
 */
import yaml from 'js-yaml';
import { kubediagCrdsV1 } from '../test/support/kubediag-crds-v1';

const [dir, ...extra] = process.argv.slice(2);
if (!dir || extra.length > 0 || dir.startsWith('-')) {
  process.stderr.write('usage: scripts/kubediag-crds-v1.ts <folder of KubeDiag\'s v1beta1 CRD files>\n');
  process.exit(2);
}
try {
  const crds = kubediagCrdsV1(dir);
  if (crds.length === 0) throw new Error(`no CustomResourceDefinition in ${dir}`);
  process.stdout.write(crds.map((crd) => yaml.dump(crd, { noRefs: true, lineWidth: -1 })).join('---\n'));
  process.stderr.write(`kubediag-crds-v1: ${crds.map((crd) => crd.metadata.name).join(', ')}\n`);
} catch (error) {
  process.stderr.write(`kubediag-crds-v1: ${(error as Error).message}\n`);
  process.exit(1);
}
