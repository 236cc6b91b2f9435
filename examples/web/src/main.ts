// The page: pick a backend, train the digit convnet, watch the loss and the accuracy, and see the
// forward and backward graphs aotjs captured, drawn by @aotjs/drawer. `window.aotjsDemo.run` is
// the same run without the form, for the browser test.
import { renderSvg } from "@aotjs/drawer";
import { BACKENDS, type BackendId, environment, placements } from "./backends.js";
import { digitBatch, SIZE } from "./digits.js";
import { drawDigits, drawLossPlot, type Series } from "./plot.js";
import { type TrainResult, train } from "./train.js";

const COLORS: Record<BackendId, string> = {
  "ort-wasm": "#1f77b4",
  "ort-auto": "#9467bd",
  "tfjs-wasm": "#ff7f0e",
  "tfjs-webgl": "#2ca02c",
  "tfjs-cpu": "#8c564b",
};

const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const select = $<HTMLSelectElement>("backend");
const stepsInput = $<HTMLInputElement>("steps");
const trainButton = $<HTMLButtonElement>("train");
const stopButton = $<HTMLButtonElement>("stop");
const status = $<HTMLDivElement>("status");
const plot = $<HTMLCanvasElement>("plot");
const legend = $<HTMLDivElement>("plot-legend");
const series: Series[] = [];
let stopRequested = false;

for (const b of BACKENDS) select.add(new Option(b.label, b.id));

const sample = digitBatch(20, 7);
drawDigits($<HTMLCanvasElement>("digits"), sample.images, SIZE, 20);
$("digit-labels").textContent = `labels: ${sample.labels.join(" ")}`;

const env = await environment();
$("env").textContent = [
  env.isolated
    ? `cross-origin isolated: wasm threads ${env.threads}`
    : "not cross-origin isolated: wasm runs on 1 thread",
  env.webgpu ? "WebGPU adapter found" : "no WebGPU adapter",
].join(" · ");

function showLegend() {
  legend.replaceChildren(
    ...series.map((s) => {
      const item = document.createElement("span");
      item.className = "legend-item";
      item.innerHTML = `<i style="background:${s.color}"></i>`;
      item.append(s.label);
      return item;
    }),
  );
}

async function showGraphs(result: TrainResult, label: string) {
  const { forward, backward } = result.graphs;
  if (!forward || !backward) return;
  const [fw, bw] = await Promise.all([
    renderSvg(forward, { title: `forward (${forward.nodes.length} nodes): loss and saved values` }),
    renderSvg(backward, { title: `backward (${backward.nodes.length} nodes): parameter gradients` }),
  ]);
  $("forward-graph").innerHTML = fw;
  $("backward-graph").innerHTML = bw;
  $("graphs-caption").textContent = `captured once by aotModule, run on ${label}`;
}

/** Train on one backend, updating the plot live. Resolves to the losses and the final accuracy. */
async function run(id: BackendId, steps: number) {
  const choice = BACKENDS.find((b) => b.id === id);
  if (!choice) throw new Error(`no backend '${id}'`);
  const line: Series = { label: choice.label, color: COLORS[id], losses: [] };
  series.push(line);
  showLegend();
  status.textContent = `${choice.label}: compiling…`;
  status.className = "";
  stopRequested = false;
  placements.length = 0;
  try {
    const result = await train(choice.make(), {
      steps,
      stopped: () => stopRequested,
      onStep: async (r) => {
        line.losses.push(r.loss);
        drawLossPlot(plot, series);
        if (r.accuracy !== undefined) $("accuracy").textContent = `${(100 * r.accuracy).toFixed(1)}%`;
        status.textContent = `${choice.label}: step ${r.step + 1}/${steps}, loss ${r.loss.toFixed(4)}, ${r.ms.toFixed(1)} ms`;
        // Let the page paint between steps.
        await new Promise((resolve) => setTimeout(resolve, 0));
      },
    });
    status.textContent = `${choice.label}: ${result.losses.length} steps, final loss ${result.losses.at(-1)?.toFixed(4)}, accuracy ${(100 * result.accuracy).toFixed(1)}%, ${result.medianStepMs.toFixed(1)} ms per step (median)`;
    await showGraphs(result, choice.label);
    return {
      losses: result.losses,
      accuracy: result.accuracy,
      medianStepMs: result.medianStepMs,
      placements: placements.map((p) => ({ ...p })),
    };
  } catch (e) {
    status.textContent = `${choice.label} failed: ${(e as Error).message}`;
    status.className = "error";
    throw e;
  }
}

trainButton.onclick = async () => {
  trainButton.disabled = true;
  stopButton.disabled = false;
  try {
    await run(select.value as BackendId, Number(stepsInput.value) || 60);
  } catch {
    // The status line shows the error.
  } finally {
    trainButton.disabled = false;
    stopButton.disabled = true;
  }
};
stopButton.onclick = () => {
  stopRequested = true;
};

Object.assign(window, { aotjsDemo: { run, backends: BACKENDS.map((b) => b.id), environment: env } });
document.body.dataset.ready = "true";
