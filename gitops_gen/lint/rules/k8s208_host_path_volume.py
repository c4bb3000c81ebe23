"""K8S208 host-path-volume

## What it does
Flags pod volumes of type `hostPath`, which mount a file or directory of the node.

## Why it matters
A hostPath volume reaches outside the container: the container runtime socket, kubelet
credentials or `/etc` of the node are one mount away from a full node takeover, and even a
read-only mount leaks other pods' data. The pod also gets tied to what one node has on disk.

## Example
    volumes:
      - name: docker
        hostPath: {path: /var/run/docker.sock}

## Use instead
    volumes:
      - name: cache
        emptyDir: {}
      # or a persistentVolumeClaim, configMap, secret or projected volume
"""

from gitops_gen.lint import Finding, Severity, rule
from gitops_gen.lint.k8s import WORKLOAD_KINDS, mapping, pod_spec, sequence


@rule(code="K8S208", name="host-path-volume", severity=Severity.WARNING, kinds=WORKLOAD_KINDS,
      remediation="Use an emptyDir, persistentVolumeClaim, configMap or secret volume instead of hostPath.")
def check(obj, opts):
    found = pod_spec(obj)
    if found is None:
        return
    spec_path, spec = found
    for index, volume in enumerate(sequence(spec.get("volumes"))):
        volume = mapping(volume)
        if volume.get("hostPath") is None:
            continue
        name = volume.get("name", "<unnamed>")
        host_path = mapping(volume["hostPath"]).get("path")
        what = f" {host_path!r}" if isinstance(host_path, str) else ""
        yield Finding(f"volume {str(name)!r} mounts the host path{what}",
                      spec_path + ("volumes", index, "hostPath"), key=True)
