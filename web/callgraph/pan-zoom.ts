// Pan and zoom by rewriting the SVG's viewBox: a drag or a two-finger scroll pans, a pinch (ctrl+wheel, as
// browsers report touchpad pinches) or the +/- buttons zoom around the pointer.

interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

const MIN_SCALE = 0.05;
const MAX_SCALE = 40;

export class PanZoom {
  private readonly initial: Box;
  private box: Box;

  constructor(
    private readonly svg: SVGSVGElement,
    private readonly host: HTMLElement,
  ) {
    const { x, y, width, height } = svg.viewBox.baseVal;
    this.initial = { x, y, width, height };
    this.box = { ...this.initial };
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    this.bind();
  }

  get scale(): number {
    return this.initial.width / this.box.width;
  }

  fit(): void {
    this.box = { ...this.initial };
    this.apply();
  }

  /** factor > 1 zooms in, around a point in client coordinates (the centre by default). */
  zoom(factor: number, clientX?: number, clientY?: number): void {
    const next = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.scale * factor));
    const applied = next / this.scale;
    const rect = this.svg.getBoundingClientRect();
    const point = this.toSvg(clientX ?? rect.left + rect.width / 2, clientY ?? rect.top + rect.height / 2);
    this.box = {
      x: point.x - (point.x - this.box.x) / applied,
      y: point.y - (point.y - this.box.y) / applied,
      width: this.box.width / applied,
      height: this.box.height / applied,
    };
    this.apply();
  }

  private pan(dxPx: number, dyPx: number): void {
    const unitsPerPx = this.unitsPerPixel();
    this.box.x -= dxPx * unitsPerPx;
    this.box.y -= dyPx * unitsPerPx;
    this.apply();
  }

  /** With "meet", one screen pixel covers the larger of the two axis ratios. */
  private unitsPerPixel(): number {
    const rect = this.svg.getBoundingClientRect();
    return Math.max(this.box.width / Math.max(rect.width, 1), this.box.height / Math.max(rect.height, 1));
  }

  private toSvg(clientX: number, clientY: number): DOMPoint {
    const matrix = this.svg.getScreenCTM();
    const point = new DOMPoint(clientX, clientY);
    return matrix ? point.matrixTransform(matrix.inverse()) : point;
  }

  private apply(): void {
    const { x, y, width, height } = this.box;
    this.svg.setAttribute('viewBox', `${x} ${y} ${width} ${height}`);
    this.host.dataset.scale = this.scale.toFixed(3);
  }

  private bind(): void {
    this.host.addEventListener(
      'wheel',
      (event) => {
        event.preventDefault();
        if (event.ctrlKey || event.metaKey) this.zoom(Math.exp(-event.deltaY * 0.01), event.clientX, event.clientY);
        else this.pan(-event.deltaX, -event.deltaY);
      },
      { passive: false },
    );
    // Capture the pointer only once it moves, so a plain click still reaches the node under it.
    let last: { x: number; y: number } | undefined;
    let dragging = false;
    this.host.addEventListener('pointerdown', (event) => {
      if (event.button !== 0) return;
      last = { x: event.clientX, y: event.clientY };
      dragging = false;
    });
    this.host.addEventListener('pointermove', (event) => {
      if (!last) return;
      const dx = event.clientX - last.x;
      const dy = event.clientY - last.y;
      if (!dragging && Math.hypot(dx, dy) < 4) return;
      if (!dragging) this.host.setPointerCapture(event.pointerId);
      dragging = true;
      this.host.classList.add('dragging');
      this.pan(dx, dy);
      last = { x: event.clientX, y: event.clientY };
    });
    const end = () => {
      last = undefined;
      this.host.classList.remove('dragging');
    };
    this.host.addEventListener('pointerup', end);
    this.host.addEventListener('pointercancel', end);
    this.host.addEventListener('dblclick', (event) => this.zoom(2, event.clientX, event.clientY));
  }
}
