# Removes CloudBridge Desktop's saved relay tokens from Windows Credential Manager. Run by
# the uninstaller (build/installer.nsh) only when the user ticks the box. keytar stores each
# secret as a generic credential named "<service>/<account>"; this deletes exactly those,
# nothing else. Exit code: 0 when done (also when there was nothing to remove), 1 on error.
param([string]$Service = 'CloudBridge Desktop')
$ErrorActionPreference = 'Stop'

Add-Type -TypeDefinition @'
using System;
using System.Collections.Generic;
using System.Runtime.InteropServices;

public static class CloudBridgeCredentials {
  [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
  private struct CREDENTIAL {
    public int Flags;
    public int Type;
    public string TargetName;
    public string Comment;
    public System.Runtime.InteropServices.ComTypes.FILETIME LastWritten;
    public int CredentialBlobSize;
    public IntPtr CredentialBlob;
    public int Persist;
    public int AttributeCount;
    public IntPtr Attributes;
    public string TargetAlias;
    public string UserName;
  }

  private const int CRED_TYPE_GENERIC = 1;
  private const int ERROR_NOT_FOUND = 1168;

  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredEnumerate(string filter, int flags, out int count, out IntPtr credentials);

  [DllImport("advapi32.dll", CharSet = CharSet.Unicode, SetLastError = true)]
  private static extern bool CredDelete(string target, int type, int flags);

  [DllImport("advapi32.dll")]
  private static extern void CredFree(IntPtr buffer);

  public static List<string> GenericTargets(string filter) {
    var targets = new List<string>();
    int count;
    IntPtr list;
    if (!CredEnumerate(filter, 0, out count, out list)) {
      int error = Marshal.GetLastWin32Error();
      if (error == ERROR_NOT_FOUND) return targets;
      throw new System.ComponentModel.Win32Exception(error);
    }
    try {
      for (int i = 0; i < count; i++) {
        IntPtr item = Marshal.ReadIntPtr(list, i * IntPtr.Size);
        var credential = (CREDENTIAL)Marshal.PtrToStructure(item, typeof(CREDENTIAL));
        if (credential.Type == CRED_TYPE_GENERIC) targets.Add(credential.TargetName);
      }
    } finally {
      CredFree(list);
    }
    return targets;
  }

  public static void Delete(string target) {
    if (!CredDelete(target, CRED_TYPE_GENERIC, 0)) {
      int error = Marshal.GetLastWin32Error();
      if (error != ERROR_NOT_FOUND) throw new System.ComponentModel.Win32Exception(error);
    }
  }
}
'@

try {
  $targets = [CloudBridgeCredentials]::GenericTargets("$Service/*")
  foreach ($target in $targets) {
    [CloudBridgeCredentials]::Delete($target)
    Write-Output "removed credential: $target"
  }
  Write-Output "removed $($targets.Count) credential(s) for $Service"
  exit 0
} catch {
  Write-Error "could not remove credentials for ${Service}: $_"
  exit 1
}
