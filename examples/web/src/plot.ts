// The live loss plot: one line per run, on a canvas, redrawn after every step.

export interface Series {
  readonly label: string;
  readonly color: string;
  readonly losses: number[];
}

export function drawLossPlot(canvas: HTMLCanvasElement, series: readonly Series[]): void {
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  const g = canvas.getContext("2d")!;
  g.scale(dpr, dpr);
  g.clearRect(0, 0, width, height);
  const left = 44;
  const bottom = 26;
  const top = 10;
  const right = 12;
  const steps = Math.max(10, ...series.map((s) => s.losses.length));
  const maxLoss = Math.max(0.5, ...series.flatMap((s) => s.losses).filter(Number.isFinite));
  const yMax = Math.ceil(maxLoss * 2) / 2;
  const x = (i: number) => left + ((width - left - right) * i) / Math.max(1, steps - 1);
  const y = (v: number) => top + (height - top - bottom) * (1 - Math.min(v, yMax) / yMax);

  g.font = "11px system-ui, sans-serif";
  g.fillStyle = "#555";
  g.strokeStyle = "#e3e3e3";
  g.lineWidth = 1;
  for (let k = 0; k <= 4; k++) {
    const v = (yMax * k) / 4;
    g.beginPath();
    g.moveTo(left, y(v));
    g.lineTo(width - right, y(v));
    g.stroke();
    g.textAlign = "right";
    g.fillText(v.toFixed(2), left - 6, y(v) + 4);
  }
  g.textAlign = "center";
  for (let k = 0; k <= 5; k++) {
    const i = Math.round(((steps - 1) * k) / 5);
    g.fillText(String(i), x(i), height - 8);
  }
  g.save();
  g.translate(11, top + (height - top - bottom) / 2);
  g.rotate(-Math.PI / 2);
  g.fillText("cross-entropy loss", 0, 0);
  g.restore();

  for (const s of series) {
    g.strokeStyle = s.color;
    g.lineWidth = 2;
    g.beginPath();
    s.losses.forEach((v, i) => {
      if (i === 0) g.moveTo(x(i), y(v));
      else g.lineTo(x(i), y(v));
    });
    g.stroke();
  }
}

/** The digits as a strip of small images, to show what the network learns from. */
export function drawDigits(
  canvas: HTMLCanvasElement,
  images: Float32Array,
  size: number,
  count: number,
): void {
  const scale = 3;
  canvas.width = count * (size + 2) * scale;
  canvas.height = size * scale;
  const g = canvas.getContext("2d")!;
  const img = g.createImageData(size, size);
  for (let n = 0; n < count; n++) {
    for (let p = 0; p < size * size; p++) {
      const v = 255 - Math.round(255 * images[n * size * size + p]!);
      img.data.set([v, v, v, 255], p * 4);
    }
    const tile = document.createElement("canvas");
    tile.width = size;
    tile.height = size;
    tile.getContext("2d")!.putImageData(img, 0, 0);
    g.imageSmoothingEnabled = false;
    g.drawImage(tile, n * (size + 2) * scale, 0, size * scale, size * scale);
  }
}
