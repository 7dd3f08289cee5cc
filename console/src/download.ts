// Saving a file the page holds (the browser's download, no further round trip to the station).
export function saveFile(name: string, data: string | Blob, type = "text/csv;charset=utf-8") {
  const url = URL.createObjectURL(typeof data === "string" ? new Blob([data], { type }) : data);
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  a.style.display = "none";
  document.body.appendChild(a);
  a.click();
  a.remove();
  // Some browsers start the download only after this task: let go of the blob a little later.
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
