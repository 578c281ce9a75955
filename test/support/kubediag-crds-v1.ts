/**
 * KubeDiag's CRDs as apiextensions.k8s.io/v1. KubeDiag publishes them as v1beta1 (controller-gen v0.2.5), which
 * kube-apiserver has not served since Kubernetes 1.22; v1 moves the schema, subresources and printer columns into
 * each version and wants a structural schema.
 *
 * Unknown fields: a v1beta1 CRD keeps them (preserveUnknownFields defaults to true); with a v1 CRD the API server
 * refuses them in a server-side apply or under kubectl's default strict field validation, and prunes them otherwise. KubeDiag's schemas are generated from its Go types and give every field a
 * type, so pruning drops only what KubeDiag's own controllers could not read anyway. Only a schema node that says
 * nothing of its content (no type, an object without properties or additionalProperties, an array without items)
 * keeps it, with `x-kubernetes-preserve-unknown-fields`: there a v1beta1 CRD stored anything, and so does this one.
 */
import { KUBEDIAG_CRDS, readKubediagCrds } from './kubediag-crds';

type Json = Record<string, any>;

/** KubeDiag's CRDs from the folder, each as v1. */
export function kubediagCrdsV1(dir = KUBEDIAG_CRDS): Json[] {
  return readKubediagCrds(dir).map(crdToV1);
}

/** One CRD as apiextensions.k8s.io/v1; a v1 CRD comes back unchanged. */
export function crdToV1(crd: Json): Json {
  if (crd.apiVersion === 'apiextensions.k8s.io/v1') return crd;
  if (crd.apiVersion !== 'apiextensions.k8s.io/v1beta1') throw new Error(`converting CRD ${crd.metadata?.name}: apiVersion ${crd.apiVersion} is not apiextensions.k8s.io/v1beta1`);
  const { validation, subresources, additionalPrinterColumns, version, versions, conversion, preserveUnknownFields: _kept, ...rest } = crd.spec;
  const listed: Json[] = versions ?? [{ name: version, served: true, storage: true }];
  const { creationTimestamp: _null, ...metadata } = crd.metadata;
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata,
    spec: {
      ...rest,
      ...(conversion ? { conversion: conversionToV1(conversion) } : {}),
      versions: listed.map((v) => versionToV1(v, { validation, subresources, additionalPrinterColumns }, crd.metadata.name)),
    },
  };
}

interface SpecWide {
  validation?: Json;
  subresources?: Json;
  additionalPrinterColumns?: Json[];
}

// In v1beta1 a version's own schema, subresources and columns override the spec-wide ones.
function versionToV1(v: Json, wide: SpecWide, name: string): Json {
  const { schema, subresources, additionalPrinterColumns, ...rest } = v;
  const openAPIV3Schema = (schema ?? wide.validation)?.openAPIV3Schema;
  if (!openAPIV3Schema) throw new Error(`converting CRD ${name}: version ${v.name} has no openAPIV3Schema, which v1 requires`);
  const columns: Json[] | undefined = additionalPrinterColumns ?? wide.additionalPrinterColumns;
  const ownSubresources = subresources ?? wide.subresources;
  return {
    ...rest,
    schema: { openAPIV3Schema: structural(openAPIV3Schema, true) },
    ...(ownSubresources ? { subresources: ownSubresources } : {}),
    ...(columns ? { additionalPrinterColumns: columns.map(({ JSONPath, ...column }) => ({ ...column, jsonPath: JSONPath })) } : {}),
  };
}

function conversionToV1(conversion: Json): Json {
  if (conversion.strategy !== 'Webhook') return { strategy: conversion.strategy };
  return {
    strategy: 'Webhook',
    webhook: { clientConfig: conversion.webhookClientConfig, conversionReviewVersions: conversion.conversionReviewVersions ?? ['v1beta1'] },
  };
}

/** The schema with `x-kubernetes-preserve-unknown-fields` wherever it leaves a node's content open. */
function structural(schema: Json, root = false): Json {
  const copy: Json = { ...schema };
  if (copy.properties) {
    copy.properties = Object.fromEntries(
      // The root's metadata is ObjectMeta, which the API server knows itself.
      Object.entries(copy.properties as Record<string, Json>).map(([key, value]) => [key, root && key === 'metadata' ? value : structural(value)]),
    );
  }
  if (copy.items && !Array.isArray(copy.items)) copy.items = structural(copy.items);
  // v1 wants a schema for an array's items; v1beta1 let them be anything.
  if (copy.type === 'array' && !copy.items) copy.items = { 'x-kubernetes-preserve-unknown-fields': true };
  if (copy.additionalProperties && typeof copy.additionalProperties === 'object') copy.additionalProperties = structural(copy.additionalProperties);
  const open = copy.type === undefined ? !copy['x-kubernetes-int-or-string'] : copy.type === 'object' && !copy.properties && !copy.additionalProperties;
  if (open && !root) copy['x-kubernetes-preserve-unknown-fields'] = true;
  return copy;
}
