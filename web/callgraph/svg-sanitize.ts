// Graphviz's SVG carries names from the profile. It is parsed as XML (never as HTML) and cut down to the
// elements and attributes a drawing needs, so nothing in it can run or fetch.

const ALLOWED_ELEMENTS = new Set(['svg', 'g', 'title', 'path', 'polygon', 'polyline', 'ellipse', 'circle', 'rect', 'line', 'text', 'tspan', 'a', 'defs']);
const BLOCKED_ATTRIBUTE = /^(on|href$|xlink:href$|style$|src$)/i;

export function sanitizeSvg(markup: string): SVGSVGElement {
  const parsed = new DOMParser().parseFromString(markup, 'image/svg+xml');
  const root = parsed.documentElement;
  if (root.nodeName !== 'svg' || parsed.getElementsByTagName('parsererror').length > 0) {
    throw new Error('rendering the call graph: Graphviz did not produce an SVG document');
  }
  cleanTree(root);
  return document.importNode(root, true) as unknown as SVGSVGElement;
}

function cleanTree(element: Element): void {
  for (const attribute of [...element.attributes]) {
    if (BLOCKED_ATTRIBUTE.test(attribute.name)) element.removeAttributeNode(attribute);
  }
  for (const child of [...element.children]) {
    if (ALLOWED_ELEMENTS.has(child.localName) && child.namespaceURI === 'http://www.w3.org/2000/svg') cleanTree(child);
    else child.remove();
  }
}
