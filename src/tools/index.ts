import { composeTools } from './compose/index.js';
import { containerIoTools } from './container-io.js';
import { containerLifecycleTools } from './containers.js';
import { eventAndDiskTools } from './events.js';
import { imageBuildTools } from './image-build.js';
import { imageTools } from './images.js';
import { kubeTools } from './kube.js';
import { networkTools } from './networks.js';
import { podTools } from './pods.js';
import { secretTools } from './secrets.js';
import { systemTools } from './system.js';
import type { ToolDef } from './types.js';
import { volumeTools } from './volumes.js';

/** Every built-in Podman tool, grouped by toolset in the order tools/list shows them. */
export const podmanTools: ToolDef[] = [
  ...containerLifecycleTools,
  ...containerIoTools,
  ...imageTools,
  ...imageBuildTools,
  ...podTools,
  ...volumeTools,
  ...networkTools,
  ...secretTools,
  ...kubeTools,
  ...composeTools,
  ...systemTools,
  ...eventAndDiskTools,
];
